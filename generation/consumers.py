"""Live progress of a clip job over a WebSocket, for its owner only.

Clients listen and never need to send: the socket sends the job's state on connect (so a late
client still sees the end), relays each progress event, and closes after the final state.
"""

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from generation import selectors
from generation.models import GenerationJob

# A server may only close with 1000 or an application code (3000-4999): Daphne refuses the RFC's
# other codes (1003, 1008, 1009...) with an exception and drops the socket with 1011. The hang-ups
# mirror the RFC codes they stand for in the 4000s: 4003 unsupported data, 4008 policy, 4009 too big.
CLOSE_NORMAL = 1000
CLOSE_UNSUPPORTED = 4003
CLOSE_POLICY = 4008
CLOSE_TOO_BIG = 4009
CLOSE_FORBIDDEN = 4403
CLOSE_UNKNOWN_JOB = 4404
MAX_CLIENT_FRAME = 1024
MAX_CLIENT_FRAMES = 20  # a client that keeps talking to a listen-only socket is misbehaving


def frame(state: dict[str, Any]) -> dict[str, Any]:
    return {"type": "finished" if state["finished"] else "progress", **state}


@database_sync_to_async
def job_by_id(job_id: str) -> GenerationJob | None:
    return selectors.job_by_id(job_id)


@database_sync_to_async
def job_state(job: GenerationJob) -> dict[str, Any]:
    job.refresh_from_db()
    return selectors.job_state(job)


class JobProgressConsumer(AsyncJsonWebsocketConsumer):
    group_name: str | None = None
    client_frames = 0

    async def connect(self) -> None:
        # Accept first: a close before accepting reaches browsers as a failed handshake, without our code.
        await self.accept()
        user = self.scope.get("user")  # the session's user, or the API token's (accounts.sockets)
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        job = await job_by_id(self.scope["url_route"]["kwargs"]["job_id"])
        if job is None:
            await self.close(code=CLOSE_UNKNOWN_JOB)
            return
        if job.owner_id != user.pk:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group_name = job.group_name
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        # Read after joining the group, so no event falls between this state and the first relayed one.
        await self.send_state(await job_state(job))

    async def disconnect(self, code: int) -> None:
        if self.group_name:
            await self.channel_layer.group_discard(self.group_name, self.channel_name)
            self.group_name = None

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        """Clients are not meant to send anything; tell them so, and hang up on binary, big or endless input."""
        self.client_frames += 1
        if bytes_data is not None:
            await self.close(code=CLOSE_UNSUPPORTED)
        elif len(text_data or "") > MAX_CLIENT_FRAME:
            await self.close(code=CLOSE_TOO_BIG)
        elif self.client_frames > MAX_CLIENT_FRAMES:
            await self.close(code=CLOSE_POLICY)
        else:
            await self.send_json(
                {"type": "error", "message": "This socket only reports the job's progress; it takes no messages."}
            )

    async def job_progress(self, event: dict[str, Any]) -> None:
        """A progress event of the job's group (see services.send_state)."""
        if self.group_name:
            await self.send_state({key: value for key, value in event.items() if key != "type"})

    async def send_state(self, state: dict[str, Any]) -> None:
        await self.send_json(frame(state))
        if state["finished"]:
            await self.disconnect(CLOSE_NORMAL)
            await self.close(code=CLOSE_NORMAL)
