from django.urls import path

from lightbox.conference import attend_views, present_views, views

urlpatterns = [
    # Building and presenting: editors and administrators.
    path("conferences/", views.conference_list, name="lightbox-conference-list"),
    path("conferences/new/", views.conference_new, name="lightbox-conference-new"),
    path("conferences/<int:pk>/", views.agenda, name="lightbox-conference-agenda"),
    path("conferences/<int:pk>/edit/", views.conference_edit, name="lightbox-conference-edit"),
    path(
        "conferences/<int:pk>/agenda/",
        views.agenda_change,
        name="lightbox-conference-agenda-change",
    ),
    path(
        "conferences/<int:pk>/present/",
        present_views.present,
        name="lightbox-conference-present",
    ),
    path("conferences/<int:pk>/room/", present_views.room, name="lightbox-conference-room"),
    path("conferences/<int:pk>/move/", present_views.move, name="lightbox-conference-move"),
    path(
        "conferences/<int:pk>/results.json",
        present_views.results,
        name="lightbox-conference-results",
    ),
    # Attending: anyone with the join code while the room is open.
    path("join/", attend_views.join, name="lightbox-conference-join"),
    path("join/<str:join_code>/", attend_views.attend, name="lightbox-conference-attend"),
    path(
        "join/<str:join_code>/state.json",
        attend_views.state,
        name="lightbox-conference-state",
    ),
    path(
        "join/<str:join_code>/answer/",
        attend_views.answer,
        name="lightbox-conference-answer",
    ),
    path(
        "join/<str:join_code>/images/<int:pk>/<str:kind>",
        attend_views.image,
        name="lightbox-conference-image",
    ),
]
