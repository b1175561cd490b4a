"""Runs sequences of operations through CPython's mmap module; the oracle for
tests/python_parity.rs.

Input (stdin), one sequence after another:

    seq ID ACCESS OFFSET HEX_FILE_CONTENTS     (ACCESS: r, w or c)
    OP ARGS...                                  (one line per operation)
    end

Output: one line per operation, "ok RESULT" or "err", then "pos N", "mem HEX" and,
after the map is closed, "file HEX". Bytes are hex ("-" for empty).
"""

import mmap
import os
import sys
import tempfile

ACCESS = {"r": mmap.ACCESS_READ, "w": mmap.ACCESS_WRITE, "c": mmap.ACCESS_COPY}


def hx(data):
    return data.hex() if data else "-"


def unhex(text):
    return b"" if text == "-" else bytes.fromhex(text)


def run_op(m, op, args):
    if op == "read":
        return hx(m.read(int(args[0])))
    if op == "readall":
        return hx(m.read())
    if op == "read_byte":
        return str(m.read_byte())
    if op == "readline":
        return hx(m.readline())
    if op == "write":
        m.write(unhex(args[0]))
        return ""
    if op == "write_byte":
        m.write_byte(int(args[0]))
        return ""
    if op == "seek":
        m.seek(int(args[0]), int(args[1]))
        return ""
    if op in ("find", "rfind"):
        fn = m.find if op == "find" else m.rfind
        needle, start, end = unhex(args[0]), int(args[1]), int(args[2])
        res = fn(needle, start, end)
        # CPython 3.15 (gh-151021) finds an empty needle nowhere when start is past the end;
        # every released CPython, and recmap, find it at the end (if the range reaches it).
        if not needle and start > len(m) and res == -1 and sys.version_info >= (3, 15):
            res = len(m) if end >= len(m) else -1
        return str(res)
    if op == "move":
        m.move(int(args[0]), int(args[1]), int(args[2]))
        return ""
    if op == "assign":
        start, data = int(args[0]), unhex(args[1])
        m[start : start + len(data)] = data
        return ""
    if op == "resize":
        m.resize(int(args[0]))
        return ""
    if op == "tell":
        return str(m.tell())
    if op == "size":
        return str(m.size())
    if op == "len":
        return str(len(m))
    if op == "slice":
        return hx(m[int(args[0]) : int(args[1])])
    raise SystemExit("unknown op " + op)


def run_sequence(header, ops, out, tmpdir):
    _, seq_id, access, offset, contents = header
    path = os.path.join(tmpdir, "seq" + seq_id)
    with open(path, "wb") as f:
        f.write(unhex(contents))
    with open(path, "rb" if access == "r" else "r+b") as f:
        m = mmap.mmap(f.fileno(), 0, access=ACCESS[access], offset=int(offset))
        for line in ops:
            op, *args = line.split()
            try:
                result = run_op(m, op, args)
                out.append(("ok " + result).rstrip())
            except Exception:
                out.append("err")
        out.append("pos %d" % m.tell())
        out.append("mem " + hx(m[:]))
        m.close()
    with open(path, "rb") as f:
        out.append("file " + hx(f.read()))
    os.remove(path)


def main():
    out = []
    header, ops = None, []
    with tempfile.TemporaryDirectory() as tmpdir:
        for line in sys.stdin:
            line = line.strip()
            if line.startswith("seq "):
                header, ops = line.split(), []
            elif line == "end":
                out.append("seq " + header[1])
                run_sequence(header, ops, out, tmpdir)
            elif line:
                ops.append(line)
    sys.stdout.write("\n".join(out) + "\n")


main()
