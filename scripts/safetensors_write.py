"""A minimal safetensors writer for the fixture scripts (no `safetensors` package needed)."""
import json
import struct

_NAMES = {"float16": "F16", "float32": "F32", "int64": "I64"}


def save_safetensors(path, tensors):
    """Writes {name: torch.Tensor} (F16/F32/I64) sorted by name, data 8-byte aligned."""
    header, offset, blobs = {}, 0, []
    for k in sorted(tensors):
        t = tensors[k].contiguous().cpu()
        data = t.numpy().tobytes()
        header[k] = {"dtype": _NAMES[str(t.dtype).replace("torch.", "")], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    raw = json.dumps(header).encode()
    raw += b" " * ((8 - (len(raw) + 8) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))
