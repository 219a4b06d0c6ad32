from django.apps import AppConfig
from django.db.models.signals import post_delete


class GenerationConfig(AppConfig):
    name = "generation"
    verbose_name = "Clips"

    def ready(self) -> None:
        # Jobs and clips also go when their character or owner is deleted: their files must go with them.
        from generation import services
        from generation.models import Clip, GenerationJob

        post_delete.connect(services.delete_job_files, sender=GenerationJob, dispatch_uid="generation.job_files")
        post_delete.connect(services.delete_clip_files, sender=Clip, dispatch_uid="generation.clip_files")
