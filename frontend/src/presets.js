// Window presets per modality (width / level as read on a PACS: "W1500 L-600").
export const PRESETS = {
  CT: [
    { id: "brain", label: "Brain", width: 80, center: 40 },
    { id: "lung", label: "Lung", width: 1500, center: -600 },
    { id: "bone", label: "Bone", width: 2000, center: 300 },
    { id: "abdomen", label: "Abdomen", width: 400, center: 50 },
  ],
};

export function presetsFor(modality) {
  return PRESETS[modality] ?? [];
}

// Modalities whose grey scale is set by an upper threshold (counts) rather than by W/L presets.
export const THRESHOLD_MODALITIES = new Set(["NM", "PT"]);
