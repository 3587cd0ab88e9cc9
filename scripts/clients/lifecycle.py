"""One scripted image lifecycle driven by a real OpenStack client, as a normalised transcript.

    python lifecycle.py --target URL --client sdk|osc|glance --out FILE [--record FILE]

The client (openstacksdk, python-openstackclient or python-glanceclient, run in this process)
talks to a recording proxy (recorder.py) in front of the target, which adds the trusted identity
headers of two projects (the owner and another one, for sharing), so the clients run with a
token-less auth plugin. Every step is one client command; the transcript keeps, per step, the
requests it caused (method, path, JSON body, status) and what the client made of the answers
(its output or error), with what differs from run to run or from target to target by nature
replaced by placeholders (compare.py compares two such transcripts):

- image ids, task ids and other UUIDs: <id1>, <id2>… in order of first appearance;
- times, the run's names and projects, the proxy's address, the target's store ids;
- the wording of error messages (a client's error becomes its status code), tag order.

--record FILE also writes every exchange as it was (headers included) as JSON lines.
"""

import argparse
import contextlib
import hashlib
import io
import json
import os
import re
import shlex
import sys
import tempfile
import time
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import recorder  # noqa: E402

CLIENTS = ("sdk", "osc", "glance")
# Image data: made here, the same bytes on every target, so checksums compare as they are.
DATA = hashlib.sha512(b"imgconf clients lifecycle").digest() * 64  # 4 KiB
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
STATUS = re.compile(r"\b(?:HTTP |: )?([45]\d\d)\b")


class Normaliser:
    """Replaces what legitimately differs between runs and targets by stable placeholders."""

    def __init__(self, words, tokens):
        # words: literal → placeholder, longest first so a prefix never eats a longer name;
        # tokens: the same, but only where they stand alone (store ids such as `fs`).
        self.words = sorted(words.items(), key=lambda kv: -len(kv[0]))
        self.tokens = [(re.compile(r"(?<![\w-])%s(?![\w-])" % re.escape(t)), label)
                       for t, label in sorted(tokens.items(), key=lambda kv: -len(kv[0]))]
        self.ids = {}

    def text(self, s):
        for word, label in self.words:
            s = s.replace(word, label)
        for token, label in self.tokens:
            s = token.sub(label, s)
        s = TIME.sub("<time>", s)
        return UUID.sub(self._id, s)

    def _id(self, m):
        key = m.group(0).lower()
        if key not in self.ids:
            self.ids[key] = "<id%d>" % (len(self.ids) + 1)
        return self.ids[key]

    def value(self, v, key=None):
        if isinstance(v, str):
            return self.text(v)
        if isinstance(v, dict):
            # A patch operation on /tags: openstackclient builds the list through a Python set.
            inner = "tags" if v.get("path") == "/tags" else None
            return {self.text(k): self.value(x, inner if k == "value" else k)
                    for k, x in sorted(v.items())}
        if isinstance(v, (list, tuple)):
            items = [self.value(x) for x in v]
            # Tags are a set: their order is the server's business.
            if key in ("tags", "Tags") and all(isinstance(x, str) for x in items):
                items.sort()
            return items
        return v


class Lifecycle:
    def __init__(self, target, run, workdir, sink=None):
        self.target = target.rstrip("/")
        self.run = run
        self.prefix = "imgconf-clients-%s" % run
        self.owner = "%s-owner" % self.prefix
        self.other = "%s-other" % self.prefix
        self.workdir = workdir
        self.rec = recorder.Recorder(target, recorder.identity_headers(
            self.owner, self.owner + "-user", "member,reader")).start()
        self.rec_other = recorder.Recorder(target, recorder.identity_headers(
            self.other, self.other + "-user", "member,reader")).start()
        for r in (self.rec, self.rec_other):
            r.sink = sink
        words = {self.prefix: "<prefix>", self.rec.url: "<endpoint>",
                 self.rec_other.url: "<endpoint>", workdir: "<dir>"}
        stores = {store: "<store%d>" % (i + 1) for i, store in enumerate(self._stores())}
        self.norm = Normaliser(words, stores)
        self.steps = []
        self.file = os.path.join(workdir, "data.raw")
        with open(self.file, "wb") as f:
            f.write(DATA)

    def _stores(self):
        """The target's store ids (not a step: only to normalise them)."""
        req = urllib.request.Request(self.target + "/v2/info/stores",
                                     headers=recorder.identity_headers(self.owner, "u", "member"))
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                stores = json.load(r).get("stores", [])
        except (OSError, ValueError):
            return []
        return [s["id"] for s in stores if isinstance(s, dict) and s.get("id")]

    def close(self):
        self.rec.stop()
        self.rec_other.stop()

    def step(self, title, fn, polls=False):
        """Runs one client command; records its exchanges and outcome. In a step that `polls`
        (asks until an asynchronous import is done) how often it asked is a matter of timing:
        each distinct request line is kept once."""
        self.rec.take()
        self.rec_other.take()
        try:
            result = fn()
        except Exception as e:  # the client's error is the outcome of this step
            result = {"error": error_outcome(e)}
        exchanges = self.rec.take() + self.rec_other.take()
        exchanges.sort(key=lambda e: e["seq"])
        http = []
        for e in exchanges:
            line = "%s %s" % (e["method"], e["path"])
            if e["body"] is not None and not (isinstance(e["body"], dict) and "bytes" in e["body"]):
                line += " " + json.dumps(self.norm.value(e["body"]), sort_keys=True)
            elif e["body"] is not None:
                line += " <%d bytes>" % e["body"]["bytes"]
            line = self.norm.text(line) + " -> %d" % e["status"]
            if not (polls and line in http):
                http.append(line)
        self.steps.append({"step": title, "http": http, "result": self.norm.value(result)})
        return result

    def name(self, suffix):
        return "%s-%s" % (self.prefix, suffix)


def error_outcome(e):
    """A client's error, without the server's wording: its kind and status code."""
    status = getattr(e, "status_code", None) or getattr(e, "code", None)
    text = str(e)
    if not isinstance(status, int):
        m = STATUS.search(text)
        status = int(m.group(1)) if m else None
    return {"type": type(e).__name__, "status": status}


# -------------------------------------------------------------------------------------------
# openstacksdk


def sdk_image(img):
    """What a caller reads from an openstacksdk Image."""
    if img is None:
        return None
    keys = ("name", "status", "visibility", "disk_format", "container_format", "size",
            "virtual_size", "checksum", "hash_algo", "hash_value", "is_protected", "is_hidden",
            "min_disk", "min_ram", "owner_id", "tags", "id")
    view = {k: getattr(img, k, None) for k in keys}
    view["properties"] = dict(img.properties or {})
    return view


def run_sdk(lc):
    import openstack

    def connect(rec):
        return openstack.connection.Connection(auth_type="none", auth={"endpoint": rec.url})

    conn = connect(lc.rec)
    other = connect(lc.rec_other)
    one, hidden = lc.name("sdk-one"), lc.name("sdk-hidden")
    img = lc.step("conn.create_image(name, filename, meta, wait=True)", lambda: sdk_image(
        conn.create_image(one, filename=lc.file, disk_format="raw", container_format="bare",
                          meta={"login-user": "root"}, wait=True, timeout=120)))
    image_id = img.get("id") if isinstance(img, dict) else None
    lc.step("image.find_image(id)", lambda: sdk_image(conn.image.find_image(image_id)))
    lc.step("image.find_image(name)", lambda: sdk_image(conn.image.find_image(one)))
    lc.step("conn.get_image(name)", lambda: sdk_image(conn.get_image(one)))
    lc.step("image.images(name=)", lambda: [sdk_image(i) for i in conn.image.images(name=one)])
    lc.step("image.update_image(id, name=, login-user=)", lambda: sdk_image(
        conn.image.update_image(image_id, name=one + "-b", **{"login-user": "admin"})))
    lc.step("image.update_image(image, name=)", lambda: sdk_image(
        conn.image.update_image(conn.image.get_image(image_id), name=one)))
    lc.step("conn.update_image_properties(image, meta)", lambda: conn.update_image_properties(
        image=conn.image.get_image(image_id), meta={"os_distro": "imgconf"}))
    lc.step("image.add_tag / remove_tag", lambda: (
        conn.image.add_tag(image_id, "t1"), conn.image.add_tag(image_id, "t2"),
        conn.image.remove_tag(image_id, "t1"), sdk_image(conn.image.get_image(image_id)))[-1])
    lc.step("image.download_image(image)", lambda: hashlib.md5(
        conn.image.download_image(conn.image.get_image(image_id)).content).hexdigest())
    lc.step("image.deactivate_image", lambda: (conn.image.deactivate_image(image_id),
                                               sdk_image(conn.image.get_image(image_id)))[-1])
    lc.step("image.reactivate_image", lambda: (conn.image.reactivate_image(image_id),
                                               sdk_image(conn.image.get_image(image_id)))[-1])
    lc.step("image.add_member", lambda: conn.image.add_member(image_id, member_id=lc.other).status)
    lc.step("image.members", lambda: sorted(m.status for m in conn.image.members(image_id)))
    lc.step("image.update_member (as the member)", lambda: other.image.update_member(
        lc.other, image_id, status="accepted").status)
    lc.step("image.images(member_status=accepted) (as the member)", lambda: [
        i.name for i in other.image.images(member_status="accepted")])
    lc.step("image.remove_member", lambda: conn.image.remove_member(lc.other, image_id))
    # Keyword properties become strings ("True"), which the schema refuses; `meta` is sent as
    # given. Both are what a user of this call meets.
    lc.step("image.create_image(is_hidden=True)", lambda: sdk_image(conn.image.create_image(
        name=hidden, is_hidden=True, disk_format="raw", container_format="bare")))
    lc.step("image.create_image(meta={os_hidden: True})", lambda: sdk_image(
        conn.image.create_image(name=hidden, meta={"os_hidden": True}, disk_format="raw",
                                container_format="bare")))
    lc.step("image.find_image(hidden name)", lambda: sdk_image(conn.image.find_image(hidden)))
    lc.step("image.images(is_hidden=True)", lambda: sorted(
        i.name for i in conn.image.images(is_hidden=True)))
    lc.step("image.stage_image + import_image(glance-direct)", lambda: sdk_glance_direct(
        conn, hidden), polls=True)
    lc.step("image.get_import_info", lambda: sorted(
        conn.image.get_import_info().import_methods["value"]))
    lc.step("image.stores", lambda: sorted(s.id for s in conn.image.stores()))
    lc.step("image.delete_image(image)", lambda: conn.image.delete_image(image_id))
    lc.step("conn.delete_image(name, wait=True)", lambda: conn.delete_image(hidden, wait=True,
                                                                            timeout=120))
    lc.step("image.find_image(deleted name)", lambda: sdk_image(conn.image.find_image(one)))


def sdk_glance_direct(conn, name):
    image = conn.image.find_image(name, ignore_missing=False)
    conn.image.stage_image(image, data=DATA)
    conn.image.import_image(image, method="glance-direct")
    image = conn.image.wait_for_status(image, status="active", failures=["queued"],
                                       interval=0.2, wait=60)
    # The lock Glance holds while the import runs goes away just after the image turns active.
    return wait_for(lambda: sdk_image(conn.image.get_image(image.id)),
                    lambda v: "os_glance_import_task" not in v["properties"])


def wait_for(get, done, attempts=100):
    """Asks again (0.1 s apart) until `done` holds or the answer is an error."""
    for _ in range(attempts):
        value = get()
        if (isinstance(value, dict) and "error" in value) or done(value):
            return value
        time.sleep(0.1)
    return value


# -------------------------------------------------------------------------------------------
# python-openstackclient


def osc_runner(lc):
    from openstackclient import shell

    def osc(args, rec=None):
        rec = rec or lc.rec
        argv = ["--os-auth-type", "none", "--os-endpoint", rec.url] + args
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = shell.main(argv)
            except SystemExit as e:
                rc = e.code
        text = out.getvalue()
        if rc:
            return {"rc": rc, "error": osc_error(err.getvalue())}
        if "-f" in args and "json" in args:
            return json.loads(text) if text.strip() else None
        return {"rc": rc, "out": text.strip()}
    return osc


def osc_error(stderr):
    """The error line cliff prints, down to the client's own words and the status code."""
    lines = [l for l in stderr.strip().splitlines() if l.strip()]
    if not lines:
        return None
    line = lines[-1]
    m = re.search(r"Client Error for url: \S+", line)
    if m:
        status = STATUS.search(line)
        return "%s %s" % (line.split(":")[0], status.group(1) if status else "")
    return line


def run_osc(lc):
    osc = osc_runner(lc)
    one, hidden = lc.name("osc-one"), lc.name("osc-hidden")
    out = os.path.join(lc.workdir, "osc-saved.raw")
    lc.step("image create --file --property --tag", lambda: osc(
        ["image", "create", "--disk-format", "raw", "--container-format", "bare", "--file",
         lc.file, "--property", "login-user=root", "--tag", "t1", one, "-f", "json"]))
    lc.step("image show NAME", lambda: osc(["image", "show", one, "-f", "json"]))
    lc.step("image set --property --tag", lambda: osc(
        ["image", "set", "--property", "login-user=admin", "--tag", "t2", one]))
    lc.step("image unset --property --tag", lambda: osc(
        ["image", "unset", "--property", "login-user", "--tag", "t1", one]))
    lc.step("image list --long", lambda: osc(["image", "list", "--long", "-f", "json"]))
    lc.step("image list --name --property", lambda: osc(
        ["image", "list", "--name", one, "--property", "os_distro=none", "-f", "json"]))
    lc.step("image save --file", lambda: (osc(["image", "save", "--file", out, one]),
                                          file_md5(out))[-1])
    lc.step("image set --deactivate", lambda: osc(["image", "set", "--deactivate", one]))
    lc.step("image show NAME (deactivated)", lambda: osc(["image", "show", one, "-f", "json"]))
    lc.step("image set --activate", lambda: osc(["image", "set", "--activate", one]))
    # Sharing through openstackclient (`image add project`, `image set --accept`) resolves
    # projects through Keystone, which a token-less run does not have: membership is left to
    # the other two clients; the member list is read here.
    lc.step("image member list", lambda: osc(["image", "member", "list", one, "-f", "json"]))
    lc.step("image create (to hide)", lambda: osc(
        ["image", "create", "--disk-format", "raw", "--container-format", "bare", hidden,
         "-f", "json"]))
    lc.step("image set --hidden", lambda: osc(["image", "set", "--hidden", hidden]))
    lc.step("image show HIDDEN-NAME", lambda: osc(["image", "show", hidden, "-f", "json"]))
    lc.step("image list --hidden", lambda: osc(["image", "list", "--hidden", "-f", "json"]))
    lc.step("image set --unhidden", lambda: osc(["image", "set", "--unhidden", hidden]))
    lc.step("image import info", lambda: osc(["image", "import", "info", "-f", "json"]))
    lc.step("image delete NAME NAME", lambda: osc(["image", "delete", one, hidden]))
    lc.step("image show NAME (deleted)", lambda: osc(["image", "show", one, "-f", "json"]))


def file_md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


# -------------------------------------------------------------------------------------------
# python-glanceclient


def glance_runner(lc):
    from glanceclient import shell

    def glance(args, rec=None):
        rec = rec or lc.rec
        # glanceclient needs a token to skip Keystone; the proxy's identity is what counts.
        argv = ["--os-image-url", rec.url, "--os-auth-token", "imgconf-no-token"] + args
        out, err = io.StringIO(), io.StringIO()
        rc = 0
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                shell.OpenStackImagesShell().main(argv)
            except SystemExit as e:
                rc = e.code if isinstance(e.code, int) else 1
            except Exception as e:  # glance's main() prints these and exits 1
                err.write(str(e))
                rc = 1
        if rc:
            m = STATUS.search(err.getvalue())
            return {"rc": rc, "error": int(m.group(1)) if m else err.getvalue().strip()}
        return table(out.getvalue())
    return glance


def table(text):
    """A prettytable as rows of cells (widths depend on the values, so not compared as text)."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif line.strip() and not line.startswith("+"):
            rows.append([line.strip()])
    return rows


def field(rows, name):
    for r in rows if isinstance(rows, list) else []:
        if len(r) >= 2 and r[0] == name:
            return r[1]
    return None


def run_glance(lc):
    glance = glance_runner(lc)
    one, two = lc.name("glance-one"), lc.name("glance-two")
    out = os.path.join(lc.workdir, "glance-saved.raw")
    rows = lc.step("image-create --file", lambda: glance(
        ["image-create", "--name", one, "--disk-format", "raw", "--container-format", "bare",
         "--file", lc.file, "--property", "login-user=root"]))
    image_id = field(rows, "id")
    lc.step("image-show", lambda: glance(["image-show", image_id]))
    lc.step("image-update --name --property", lambda: glance(
        ["image-update", image_id, "--name", one + "-b", "--property", "login-user=admin"]))
    lc.step("image-update --remove-property", lambda: glance(
        ["image-update", image_id, "--name", one, "--remove-property", "login-user"]))
    lc.step("image-tag-update", lambda: glance(["image-tag-update", image_id, "t1"]))
    lc.step("image-tag-delete", lambda: glance(["image-tag-delete", image_id, "t1"]))
    lc.step("image-list", lambda: glance(["image-list"]))
    lc.step("image-list --property-filter --sort", lambda: glance(
        ["image-list", "--property-filter", "name=" + one, "--sort", "name:desc,status"]))
    lc.step("image-download --file", lambda: (glance(
        ["image-download", "--file", out, image_id]), file_md5(out))[-1])
    lc.step("image-deactivate", lambda: glance(["image-deactivate", image_id]))
    lc.step("image-show (deactivated)", lambda: glance(["image-show", image_id]))
    lc.step("image-reactivate", lambda: glance(["image-reactivate", image_id]))
    lc.step("member-create", lambda: glance(["member-create", image_id, lc.other]))
    lc.step("member-update accepted (as the member)", lambda: glance(
        ["member-update", image_id, lc.other, "accepted"], lc.rec_other))
    lc.step("member-list", lambda: glance(["member-list", "--image-id", image_id]))
    lc.step("image-list --member-status accepted (as the member)", lambda: glance(
        ["image-list", "--member-status", "accepted", "--visibility", "shared"], lc.rec_other))
    lc.step("member-delete", lambda: glance(["member-delete", image_id, lc.other]))
    rows = lc.step("image-create-via-import glance-direct", lambda: glance(
        ["image-create-via-import", "--name", two, "--disk-format", "raw", "--container-format",
         "bare", "--import-method", "glance-direct", "--file", lc.file, "--hidden", "True"]))
    two_id = field(rows, "id")
    lc.step("image-show (imported, after the import task)", lambda: wait_for(
        lambda: glance(["image-show", two_id]),
        lambda v: field(v, "status") == "active" and field(v, "os_glance_import_task") is None),
        polls=True)
    lc.step("image-list --hidden", lambda: glance(["image-list", "--hidden"]))
    lc.step("import-info", lambda: glance(["import-info"]))
    lc.step("stores-info", lambda: glance(["stores-info"]))
    lc.step("image-delete", lambda: glance(["image-delete", image_id, two_id]))
    lc.step("image-show (deleted)", lambda: glance(["image-show", image_id]))


class Terminal(io.StringIO):
    def isatty(self):
        return True


RUNNERS = {"sdk": run_sdk, "osc": run_osc, "glance": run_glance}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--target", required=True, help="the image endpoint (http://host:port)")
    p.add_argument("--client", required=True, choices=CLIENTS)
    p.add_argument("--out", required=True, help="where the transcript (JSON) goes")
    p.add_argument("--record", help="every exchange as JSON lines, headers included")
    p.add_argument("--run", default=uuid.uuid4().hex[:8], help="run id in names and projects")
    a = p.parse_args()
    # As at a terminal: without data on stdin, which openstackclient and glanceclient would
    # otherwise read as the image data.
    sys.stdin = Terminal()
    sink = open(a.record, "w", encoding="utf-8") if a.record else None
    with tempfile.TemporaryDirectory() as workdir:
        lc = Lifecycle(a.target, a.run, workdir, sink)
        try:
            RUNNERS[a.client](lc)
        finally:
            lc.close()
    versions = {}
    for dist in ("openstacksdk", "python-openstackclient", "python-glanceclient"):
        try:
            from importlib.metadata import version
            versions[dist] = version(dist)
        except Exception:
            versions[dist] = None
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump({"client": a.client, "versions": versions, "steps": lc.steps}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
