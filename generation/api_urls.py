from django.urls import path

from generation import api

urlpatterns = [
    path("clips/jobs/", api.JobListView.as_view(), name="api-clip-job-list"),
    path("clips/jobs/<str:job_id>/", api.JobDetailView.as_view(), name="api-clip-job-detail"),
    path("clips/jobs/<str:job_id>/cancel/", api.JobCancelView.as_view(), name="api-clip-job-cancel"),
    path("clips/voices/", api.VoiceListView.as_view(), name="api-voice-list"),
    path("clips/voices/<str:voice_id>/preview.wav", api.VoicePreviewView.as_view(), name="api-voice-preview"),
    path("clips/<str:clip_id>/", api.ClipDetailView.as_view(), name="api-clip-detail"),
]
