"""GET /media/{path}: images under newsletters/images/ and nothing else."""

from __future__ import annotations

import httpx
import pytest
from PIL import Image

from mailer.render.images import prepare_image
from mailer.settings import Project
from tests.plugins.web import PNG, LiveServer, raw_get


def test_image_is_served_with_its_type(client: httpx.Client) -> None:
    response = client.get("/media/scan.png")
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "max-age" in response.headers["cache-control"]


def test_a_resized_copy_is_served_and_cached_for_good(
    client: httpx.Client, web_project: Project
) -> None:
    Image.new("RGB", (1200, 600), "#6b1f73").save(web_project.images / "photo.png")
    prepared = prepare_image(web_project.images, "photo.png", 552)
    response = client.get(f"/media/{prepared.name}")
    assert prepared.name.startswith("resized/photo-")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_image_in_a_subfolder_is_served(client: httpx.Client) -> None:
    response = client.get("/media/2026/lab.jpg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"


def test_head_answers_without_a_body(client: httpx.Client) -> None:
    response = client.head("/media/scan.png")
    assert response.status_code == 200
    assert response.content == b""


def test_symlink_inside_the_folder_is_served(client: httpx.Client) -> None:
    assert client.get("/media/alias.png").content == PNG


def test_svg_is_sandboxed(client: httpx.Client) -> None:
    response = client.get("/media/logo.svg")
    assert response.status_code == 200
    assert "sandbox" in response.headers["content-security-policy"]
    assert "default-src 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    "path",
    [
        "/media/",
        "/media/missing.png",
        "/media/notes.txt",  # not an image type
        "/media/.hidden.png",
        "/media/2026",  # a folder
        "/media/escape.png",  # symlink to a file outside
        "/media/outdir/secret.png",  # symlinked folder outside
        "/media/%2e%2e/secret.png",
        "/media/%2E%2E/secret.png",
        "/media/2026/%2e%2e/%2e%2e/secret.png",
        "/media/..%2fsecret.png",
        "/media/%2e%2e%2fsecret.png",
        "/media/%2fetc%2fpasswd",
        "/media//etc/passwd",
        "/media/..%5csecret.png",
        "/media/scan.png%00.png",
    ],
)
def test_everything_else_is_404(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert b"SECRET" not in response.content


@pytest.mark.parametrize(
    "raw_path",
    [
        "/media/../secret.png",
        "/media/2026/../../secret.png",
        "/media/../../outside/secret.png",
        "/media/./../secret.png",
        "/media/./scan.png",
    ],
)
def test_literal_dot_dot_never_escapes(
    client: httpx.Client, live_server: LiveServer, raw_path: str
) -> None:
    # httpx would normalise "..", so these go over a raw socket, exactly as written.
    status, body = raw_get(live_server.base_url, raw_path)
    assert status == 404
    assert b"SECRET" not in body
