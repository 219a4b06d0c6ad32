from django.urls import path

from generation.consumers import JobProgressConsumer

websocket_urlpatterns = [
    path("ws/jobs/<str:job_id>/", JobProgressConsumer.as_asgi()),
]
