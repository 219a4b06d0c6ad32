"""Bound uploaded files while they stream in, so an oversized upload never fills the disk."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler


class BoundedUploadHandler(FileUploadHandler):
    """Counts bytes of every file in the request and aborts past MAX_UPLOAD_FILE_BYTES."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.MAX_UPLOAD_FILE_BYTES:
            raise RequestDataTooBig(f"The upload is larger than {settings.MAX_UPLOAD_FILE_BYTES // 1_000_000} MB.")
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
