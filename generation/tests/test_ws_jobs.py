"""The job progress socket through the project's ASGI app: who may listen, what they hear, and hostile clients."""

import asyncio
import contextlib
import json
import logging
import uuid
from urllib.parse import urlparse

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from config.asgi import application
from generation import services
from generation.models import GenerationJob
from generation.tests.conftest import FAST_VOICE, run_job_in_thread

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://localhost")
TIMEOUT = 10


def session_cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode())


def communicator(path: str, *headers: tuple[bytes, bytes]) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, path, headers=[ORIGIN, *headers])


@pytest.fixture
def job(owner, clip_character) -> GenerationJob:
    return services.request_clip(user=owner, character=clip_character, text="Hello there.", voice=FAST_VOICE)


async def close_code(socket: WebsocketCommunicator) -> int:
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected  # accepted first, so browsers get the close code instead of a failed handshake
    message = await socket.receive_output(timeout=TIMEOUT)
    assert message["type"] == "websocket.close"
    return message["code"]


def test_the_owner_hears_the_state_then_progress_then_the_clip(job, owner, transactional_db):
    async def scenario() -> list[dict]:
        socket = communicator(f"/ws/jobs/{job.pk}/", session_cookie(owner))
        connected, _ = await socket.connect(timeout=TIMEOUT)
        assert connected
        frames = [await socket.receive_json_from(timeout=TIMEOUT)]
        status = await sync_to_async(run_job_in_thread, thread_sensitive=False)(str(job.pk), job.task_id)
        assert status == "succeeded"
        while not frames[-1]["finished"]:
            frames.append(await socket.receive_json_from(timeout=TIMEOUT))
        assert (await socket.receive_output(timeout=TIMEOUT)) == {"type": "websocket.close", "code": 1000}
        return frames

    frames = async_to_sync(scenario)()
    assert frames[0]["type"] == "progress" and frames[0]["status"] == "queued"
    assert frames[0]["label"].startswith("In the queue, 1st in line") and frames[0]["queue"]["ahead"] == 0
    progress = [frame for frame in frames if frame["type"] == "progress" and frame["status"] == "running"]
    stages = {frame["stage"] for frame in progress}
    assert {"speech", "render", "sign", "publish"} <= stages
    assert [frame["progress"] for frame in progress] == sorted(frame["progress"] for frame in progress)
    final = frames[-1]
    assert final["type"] == "finished" and final["status"] == "succeeded" and final["progress"] == 100
    clip = GenerationJob.objects.get(pk=job.pk).clip
    assert final["clip"]["id"] == str(clip.pk)
    assert urlparse(final["clip"]["video"]).path == urlparse(clip.video.url).path  # signed S3 URLs differ in their second
    assert final["clip"]["url"] == f"/api/clips/{clip.pk}/" and final["clip"]["page"] == f"/clips/jobs/{job.pk}/"


def test_a_late_listener_still_hears_the_end(job, owner):
    services.cancel_job(user=owner, job=job)

    async def scenario() -> tuple[dict, dict]:
        socket = communicator(f"/ws/jobs/{job.pk}/", session_cookie(owner))
        await socket.connect(timeout=TIMEOUT)
        return await socket.receive_json_from(timeout=TIMEOUT), await socket.receive_output(timeout=TIMEOUT)

    final, closing = async_to_sync(scenario)()
    assert final["type"] == "finished" and final["status"] == "cancelled" and final["label"] == "Cancelled"
    assert closing == {"type": "websocket.close", "code": 1000}


def test_api_clients_listen_with_a_token(job, owner):
    token = Token.objects.create(user=owner)

    async def scenario() -> dict:
        socket = communicator(f"/ws/jobs/{job.pk}/?token={token.key}")
        await socket.connect(timeout=TIMEOUT)
        frame = await socket.receive_json_from(timeout=TIMEOUT)
        await socket.disconnect()
        return frame

    assert async_to_sync(scenario)()["id"] == str(job.pk)


@pytest.mark.parametrize(
    ("who", "path", "expected"),
    [
        ("other", "/ws/jobs/{job}/", 4403),
        ("anonymous", "/ws/jobs/{job}/", 4403),
        ("bad token", "/ws/jobs/{job}/?token=nope", 4403),
        ("owner", f"/ws/jobs/{uuid.uuid4()}/", 4404),
        ("owner", "/ws/jobs/not-a-uuid/", 4404),
    ],
)
def test_everyone_else_is_refused_with_a_close_code(who, path, expected, job, owner, other_user):
    headers = {"other": [session_cookie(other_user)], "owner": [session_cookie(owner)]}.get(who, [])

    async def scenario() -> int:
        return await close_code(communicator(path.format(job=job.pk), *headers))

    assert async_to_sync(scenario)() == expected


def test_hostile_frames_get_an_error_or_a_hang_up(job, owner):
    cookie = session_cookie(owner)

    async def scenario() -> tuple[dict, dict, dict, dict]:
        socket = communicator(f"/ws/jobs/{job.pk}/", cookie)
        await socket.connect(timeout=TIMEOUT)
        await socket.receive_json_from(timeout=TIMEOUT)
        await socket.send_to(text_data="{not json")
        error = await socket.receive_json_from(timeout=TIMEOUT)
        await socket.send_to(text_data="x" * 100_000)
        too_big = await socket.receive_output(timeout=TIMEOUT)

        binary = communicator(f"/ws/jobs/{job.pk}/", cookie)
        await binary.connect(timeout=TIMEOUT)
        await binary.receive_json_from(timeout=TIMEOUT)
        await binary.send_to(bytes_data=b"\x00\xff" * 10)
        hung_up = await binary.receive_output(timeout=TIMEOUT)

        chatty = communicator(f"/ws/jobs/{job.pk}/", cookie)
        await chatty.connect(timeout=TIMEOUT)
        await chatty.receive_json_from(timeout=TIMEOUT)
        for _ in range(20):
            await chatty.send_to(text_data="hello?")
            await chatty.receive_json_from(timeout=TIMEOUT)
        await chatty.send_to(text_data="hello?")
        return error, too_big, hung_up, await chatty.receive_output(timeout=TIMEOUT)

    error, too_big, hung_up, silenced = async_to_sync(scenario)()
    assert error["type"] == "error" and "only reports" in error["message"]
    assert too_big == {"type": "websocket.close", "code": 4009}
    assert hung_up == {"type": "websocket.close", "code": 4003}
    assert silenced == {"type": "websocket.close", "code": 4008}


def test_an_unknown_socket_path_is_refused_at_the_handshake():
    async def scenario() -> tuple[bool, int | None]:
        return await communicator("/ws/nothing-here/").connect(timeout=TIMEOUT)

    connected, _ = async_to_sync(scenario)()
    assert not connected


def test_hostile_frames_through_daphne_close_with_application_codes(job, owner, asgi_server, caplog):
    """Through a real Daphne, which refuses the RFC's 1003/1008/1009 from a server (it drops the socket with 1011)."""
    token = Token.objects.create(user=owner).key
    url = f"{asgi_server.url.replace('http', 'ws')}/ws/jobs/{job.pk}/?token={token}"

    async def closed_after(*frames: str | bytes) -> int | None:
        async with connect(url, origin="http://localhost", open_timeout=TIMEOUT, max_size=None) as socket:
            await asyncio.wait_for(socket.recv(), TIMEOUT)  # the job's state
            with contextlib.suppress(ConnectionClosed):
                for data in frames:
                    await socket.send(data)
                while True:
                    await asyncio.wait_for(socket.recv(), TIMEOUT)
        return socket.close_code

    async def answers_to_bad_json() -> list[str]:
        async with connect(url, origin="http://localhost", open_timeout=TIMEOUT) as socket:
            await asyncio.wait_for(socket.recv(), TIMEOUT)
            answers = []
            for data in ("{not json", "[1, 2"):
                await socket.send(data)
                answers.append(json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT))["type"])
            return answers

    async def refused_status() -> int:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"{asgi_server.url.replace('http', 'ws')}/ws/nothing-here/", origin="http://localhost"):
                pass
        return refused.value.response.status_code

    async def scenario() -> tuple[list[int | None], list[str], int]:
        closes = [
            await closed_after(b"\x00\xff" * 10),
            await closed_after("x" * 100_000),
            await closed_after(*["hello?"] * 50),
        ]
        return closes, await answers_to_bad_json(), await refused_status()

    with caplog.at_level(logging.ERROR):
        closes, bad_json, unknown_path = async_to_sync(scenario)()
    assert closes == [4003, 4009, 4008]
    assert bad_json == ["error", "error"]
    assert unknown_path == 403
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_a_waiting_job_hears_its_place_move_up_when_the_job_ahead_starts(owner, clip_character):
    from generation.services import dispatch

    ahead = services.request_clip(user=owner, character=clip_character, text="First.", voice=FAST_VOICE)
    mine = services.request_clip(user=owner, character=clip_character, text="Second.", voice=FAST_VOICE)

    async def scenario() -> list[dict]:
        socket = communicator(f"/ws/jobs/{mine.pk}/", session_cookie(owner))
        assert (await socket.connect(timeout=TIMEOUT))[0]
        frames = [await socket.receive_json_from(timeout=TIMEOUT)]
        claimed = await sync_to_async(dispatch.claim_next_job, thread_sensitive=False)(task_id="ticket")
        assert claimed.pk == ahead.pk
        frames.append(await socket.receive_json_from(timeout=TIMEOUT))
        await socket.disconnect()
        return frames

    before, after = async_to_sync(scenario)()
    assert before["queue"]["position"] == 2 and after["queue"]["position"] == 1 and after["status"] == "queued"
