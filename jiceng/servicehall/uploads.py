"""Material uploads (材料上传): files received for the materials of an application.

Rules (each has a test):
1. Only PDF, JPEG and PNG, recognised by content, never by name or the browser's type:
   images are opened and verified with Pillow, a PDF must start with `%PDF-1.x`, end with
   `%%EOF` and carry a `startxref` pointing inside the file (a bounded look at the first
   and last few KB, not a full parse of an untrusted document).
2. At most `JICENG_MATERIAL_MAX_MB` (setting, default 10) per file; an empty file is refused.
3. A file belongs to a material of the version the application was made under; anything
   else is refused ("该事项没有这项材料").
4. Files are stored once per content under `DATA_DIR/servicehall/<aa>/<sha256>` (outside
   the public media folder) and listed on the application; a download is served only to
   those who may see the application and is written to the access log, like any view of
   personal data.
5. A received file counts as the material provided (一次性告知 lists only what is still
   missing); a file given with a form that is refused for another reason is kept as a
   signed token in the re-shown form, so nothing the user gave is lost.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from jiceng.accounts.models import AccessLog
from jiceng.lib import clientip
from jiceng.servicehall.models import (
    Application,
    AppMaterial,
    Material,
    MaterialFile,
    MaterialState,
)

KINDS = {"PDF": ("application/pdf", "pdf"), "JPEG": ("image/jpeg", "jpg"),
         "PNG": ("image/png", "png")}  # fmt: skip
MAX_PIXELS = 60_000_000
_SIGNER_SALT = "jiceng.servicehall.staged-file"
_STARTXREF = re.compile(rb"startxref\s+(\d{1,12})\s+%%EOF", re.S)


class UploadRefused(Exception):
    """A file refused; `code` for the API, the message (Chinese) for the page."""

    def __init__(self, message: str, code: str):
        self.code = code
        super().__init__(message)


def max_bytes() -> int:
    return int(getattr(settings, "JICENG_MATERIAL_MAX_MB", 10)) * 1024 * 1024


def root() -> Path:
    return Path(settings.DATA_DIR) / "servicehall" / "materials"


@dataclass(frozen=True)
class Checked:
    data: bytes
    sha256: str
    content_type: str
    ext: str
    name: str
    size: int


def _pdf_ok(data: bytes) -> bool:
    """Header, trailer and a cross-reference offset inside the file (bounded look)."""
    if not re.match(rb"%PDF-[12]\.\d", data[:1024].lstrip()[:8]):
        return False
    tail = data[-2048:]
    found = _STARTXREF.findall(tail)
    return bool(found) and int(found[-1]) < len(data)


def check(name: str, data: bytes, material_name: str = "") -> Checked:
    """Rule 1–2: what the file really is; raises UploadRefused with a Chinese message."""
    what = (
        gettext("「%(name)s」的文件") % {"name": material_name}
        if material_name
        else gettext("文件")
    )
    clean = Path(name or "").name.replace("\x00", "")[:100] or "未命名"
    if not data:
        raise UploadRefused(
            gettext("%(what)s「%(clean)s」是空文件，请重新选择") % {"what": what, "clean": clean},
            "empty_file",
        )
    limit = max_bytes()
    if len(data) > limit:
        raise UploadRefused(
            gettext("%(what)s「%(clean)s」超过 %(value)s MB，请压缩或分页扫描后再上传")
            % {"what": what, "clean": clean, "value": limit // (1024 * 1024)},
            "too_large",
        )
    kind = None
    if data[:1024].lstrip().startswith(b"%PDF-"):
        if not _pdf_ok(data):
            raise UploadRefused(gettext("%(what)s「%(clean)s」不是完整的 PDF 文件（文件已损坏或不完整）") % {"what": what, "clean": clean},
                                "wrong_type")  # fmt: skip
        kind = "PDF"
    else:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(data)) as im:
                fmt, (w, h) = im.format, im.size
                if w * h > MAX_PIXELS:
                    raise UploadRefused(
                        gettext("%(what)s「%(clean)s」图片尺寸过大")
                        % {"what": what, "clean": clean},
                        "too_large",
                    )
                im.verify()
        except UploadRefused:
            raise
        except (
            UnidentifiedImageError,
            OSError,
            SyntaxError,
            ValueError,
            Image.DecompressionBombError,
        ):
            fmt = None
        if fmt in ("JPEG", "PNG"):
            kind = fmt
    if kind is None:
        raise UploadRefused(
            gettext(
                "%(what)s「%(clean)s」不是 PDF、JPEG 或 PNG 文件（按文件内容识别，改扩展名无效）"
            )
            % {"what": what, "clean": clean},
            "wrong_type",
        )
    ctype, ext = KINDS[kind]
    base = clean.rsplit(".", 1)[0] if "." in clean else clean
    return Checked(
        data, hashlib.sha256(data).hexdigest(), ctype, ext, f"{base[:100]}.{ext}", len(data)
    )


def path_of(sha: str) -> Path:
    return root() / sha[:2] / sha


def store_blob(c: Checked) -> None:
    """Content-addressed: the same file uploaded twice is stored once (written atomically)."""
    p = path_of(c.sha256)
    if p.exists():
        return
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(f".tmp{id(c)}")
    tmp.write_bytes(c.data)
    tmp.replace(p)


def read_blob(f: MaterialFile) -> bytes:
    return path_of(f.sha256).read_bytes()


# ------------------------------------------------------------------ staged (re-shown forms)


def stage(c: Checked, material_id: int) -> str:
    """A token for a checked, stored file, to carry in a form re-shown after an error."""
    store_blob(c)
    return signing.dumps({"s": c.sha256, "t": c.content_type, "n": c.name, "z": len(c.data),
                          "m": material_id}, salt=_SIGNER_SALT)  # fmt: skip


def unstage(token: str, material_id: int) -> Checked | None:
    """The file behind a token of this form (a day at most), or None if it is not ours."""
    try:
        d = signing.loads(token, salt=_SIGNER_SALT, max_age=86400)
    except signing.BadSignature:
        return None
    if d.get("m") != material_id or not path_of(d["s"]).exists():
        return None
    return Checked(
        b"", d["s"], d["t"], d["t"].split("/")[1].replace("jpeg", "jpg"), d["n"], int(d["z"])
    )


def staged_name(token: str) -> str:
    try:
        return str(signing.loads(token, salt=_SIGNER_SALT, max_age=86400).get("n", ""))
    except signing.BadSignature:
        return ""


# ------------------------------------------------------------------ attach


def _record(app: Application, material: Material, c: Checked, user, now: datetime
            ) -> MaterialFile:  # fmt: skip
    if c.data:
        store_blob(c)
    who = user.display_name if getattr(user, "pk", None) else "申请人"
    return MaterialFile.objects.create(
        application=app, material=material, sha256=c.sha256, size=c.size,
        content_type=c.content_type, name=c.name, at=now, uploaded_by_name=who[:50],
        uploaded_by=user if getattr(user, "pk", None) else None,
    )  # fmt: skip


def attach_at_intake(app: Application, files: dict[int, list[Checked]], user, now: datetime
                     ) -> None:  # fmt: skip
    """Files checked before intake, recorded in the intake's transaction."""
    mats = {m.id: m for m in app.version.materials.all()}
    for mid, cs in files.items():
        for c in cs:
            _record(app, mats[mid], c, user, now)


def material_of(app: Application, material_id: int) -> Material:
    """Rule 3: a material of the version the application was made under."""
    m = Material.objects.filter(pk=material_id, version_id=app.version_id).first()
    if m is None:
        raise UploadRefused(gettext("该事项没有这项材料，请刷新页面后重新选择"), "unknown_material")
    return m


def upload(app: Application, material_id: int, name: str, data: bytes, user=None,
           now: datetime | None = None) -> MaterialFile:  # fmt: skip
    """A file for one material of an existing application (window, agent, or the applicant
    on the phone page). The material becomes provided; if the application waits for
    materials (待补正) and none is missing any more, the window accepts it with 补齐材料."""
    from jiceng.servicehall.applications import Refused, _event, is_open
    from jiceng.servicehall.models import Status

    now = now or timezone.now()
    m = material_of(app, material_id)
    c = check(name, data, m.name)
    if not (is_open(app) or app.status == Status.AWAITING):
        raise Refused(gettext("办件已办结或已撤回，不能再上传材料"), "wrong_state")
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=app.pk)
        f = _record(app, m, c, user, now)
        row = AppMaterial.objects.filter(application=app, material=m).first()
        if row is not None and row.state in (MaterialState.MISSING, MaterialState.PENDING):
            row.state = MaterialState.PROVIDED
            row.updated_at = now
            row.save(update_fields=["state", "updated_at"])
            left = app.materials.filter(material__required=True,
                                        state=MaterialState.MISSING).exists()  # fmt: skip
            note = f"上传「{m.name}」{f.name}"
            if app.status == Status.AWAITING and not left:
                note += "；材料已齐，待窗口确认受理"
            if app.status != Status.AWAITING and not app.materials.filter(
                    state=MaterialState.PENDING).exists():  # fmt: skip
                app.pending_until = None
                app.save(update_fields=["pending_until"])
            _event(app, "upload", "上传材料", user, now, note)
        else:
            _event(app, "upload", "上传材料", user, now, f"上传「{m.name}」{f.name}")
    return f


def files_of(app: Application) -> dict[int, list[MaterialFile]]:
    out: dict[int, list[MaterialFile]] = {}
    for f in app.files.all():
        out.setdefault(f.material_id, []).append(f)
    return out


def log_download(user, f: MaterialFile, channel: str, request=None) -> None:
    """Rule 4: a download is a view of personal data (PIPL), appended to the access log."""
    AccessLog.objects.create(
        viewer=user, subject_type="servicehall.materialfile", subject_id=str(f.pk),
        subject_label=f"{f.application.number} {f.name}"[:100], fields="申请材料",
        reason=f"办件 {f.application.number} 材料查阅", channel=channel,
        ip=clientip.client_ip(request) if request is not None else None,
    )  # fmt: skip


def from_form(request, materials: list[Material]) -> tuple[dict[int, list[Checked]], list[str]]:
    """The files of a page form: `f<material id>` inputs and `staged<material id>` tokens
    of a form re-shown after an error. Returns the checked files and the errors (Chinese)."""
    mats = {m.id: m for m in materials}
    files: dict[int, list[Checked]] = {}
    errors: list[str] = []
    limit = max_bytes()
    for key in request.FILES:
        if not (key.startswith("f") and key[1:].isdigit()):
            continue
        mid = int(key[1:])
        if mid not in mats:
            errors.append("该事项没有这项材料，请刷新页面后重新选择")
            continue
        for up in request.FILES.getlist(key):
            data = up.read(limit + 1)
            try:
                files.setdefault(mid, []).append(check(up.name or "", data, mats[mid].name))
            except UploadRefused as exc:
                errors.append(str(exc))
    for mid in mats:
        for token in request.POST.getlist(f"staged{mid}")[:10]:
            c = unstage(token, mid)
            if c is not None:
                files.setdefault(mid, []).append(c)
    return files, list(dict.fromkeys(errors))


def staged_for_form(files: dict[int, list[Checked]]) -> dict[int, list[tuple[str, str]]]:
    """Tokens and names of the good files, for the form re-shown after an error."""
    return {mid: [(stage(c, mid), c.name) for c in cs] for mid, cs in files.items() if cs}
