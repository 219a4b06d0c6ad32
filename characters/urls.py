from django.urls import path

from characters import views

urlpatterns = [
    path("", views.home, name="home"),
    path("c/new/", views.character_create, name="character_create"),
    path("c/import/", views.card_import, name="card_import"),
    path("c/<slug:slug>/", views.character_detail, name="character_detail"),
    path("c/<slug:slug>/edit/", views.character_edit, name="character_edit"),
    path("c/<slug:slug>/rig/", views.character_rig, name="character_rig"),
    path("c/<slug:slug>/delete/", views.character_delete, name="character_delete"),
    path("c/<slug:slug>/report/", views.character_report, name="character_report"),
    path("c/<slug:slug>/appeal/", views.character_appeal, name="character_appeal"),
]
