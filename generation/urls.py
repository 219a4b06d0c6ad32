from django.urls import path

from generation import views

urlpatterns = [
    path("c/<slug:slug>/clip/", views.clip_create, name="clip_create"),
    path("clips/", views.my_clips, name="my_clips"),
    path("clips/jobs/<uuid:job_id>/", views.job_detail, name="job_detail"),
    path("clips/jobs/<uuid:job_id>/cancel/", views.job_cancel, name="job_cancel"),
]
