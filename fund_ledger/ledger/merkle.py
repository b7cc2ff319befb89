"""Merkle trees as RFC 6962 (Certificate Transparency) defines them, and the leaf that stands for a gift.

The tree (RFC 6962 section 2.1, RFC 9162 section 2.1)::

    leaf hash  = SHA-256(0x00 || leaf)
    node hash  = SHA-256(0x01 || left || right)
    MTH({})    = SHA-256()                       (the empty tree)
    MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n]))  k = the largest power of two smaller than n

The two prefixes keep a leaf from passing for a node (second-preimage attacks). An *inclusion proof*
(audit path) of leaf ``m`` is the list of sibling hashes from the leaf up to the root; anyone holding the
leaf, its index, the tree's size and the root re-derives the root from the path alone
(:func:`verify_inclusion`, the algorithm of RFC 9162 section 2.1.3.2), learning nothing about the other
leaves but hashes of them.

**The leaf of a gift** (an audit report's gifts tree, :func:`gift_leaf`) is UTF-8 JSON with keys sorted
and no whitespace, the same canonical form as the journal's hash chain::

    {"amount":500000,"code":"RRXJZUJQZC","donation":2,"entry_hash":"3f…","fund":"GENERAL",
     "received_on":"2026-09-12","v":1}

``amount`` in fen, ``code`` the verification code printed on the donor's acknowledgement, ``donation`` the
gift's id, ``entry_hash`` the SHA-256 of the journal entry that recorded it, ``fund`` the fund's code,
``received_on`` the ISO date, ``v`` the leaf format's version. One leaf per gift, in chain order.

Why these fields: the donor knows (or is shown, for their own gift) every one of them, so they can
recompute their leaf hash themselves; and every leaf holds two secrets. The entry's hash (256 bits,
derived from the whole chain before it) is unguessable: the report's journal prints only its first 16
hex digits, leaving 192 bits unknown even to a holder of the report. The verification code (ten
characters of 31, about 50 bits) is known only to that donor and the fund and is printed in no
report. A proof shows a donor sibling hashes only (one other leaf's hash at most, the rest hashes of
subtrees), so turning one back into another donor's amount means guessing that gift's entry hash and
code: a proof reveals nothing of other gifts.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
GIFT_LEAF_VERSION = 1
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH of the empty tree (a period without gifts)."""


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """The tree bottom-up, one list per level. A level's last node without a partner moves up unchanged,
    which builds exactly the RFC's tree (the left subtree is always the largest power of two)."""
    level = [leaf_hash(x) for x in leaves]
    levels = [level]
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
        levels.append(level)
    return levels


class MerkleTree:
    """An RFC 6962 tree over ``leaves`` (bytes, in order), built once; O(n) hashes, O(n) memory."""

    def __init__(self, leaves: Sequence[bytes]):
        self.size = len(leaves)
        self._levels = _levels(leaves) if leaves else [[]]

    @property
    def root(self) -> bytes:
        return self._levels[-1][0] if self.size else EMPTY_ROOT

    def leaf_hash(self, index: int) -> bytes:
        self._check(index)
        return self._levels[0][index]

    def inclusion_proof(self, index: int) -> tuple[bytes, ...]:
        """The audit path of leaf ``index``: sibling hashes from the leaf's level up to just below the root."""
        self._check(index)
        path = []
        for level in self._levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):  # else the node moves up alone: no hash on this level
                path.append(level[sibling])
            index >>= 1
        return tuple(path)

    def _check(self, index: int) -> None:
        if not (_is_int(index) and 0 <= index < self.size):
            raise IndexError(f"leaf index {index} is outside a tree of {self.size}")


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(leaves)."""
    return MerkleTree(leaves).root


def inclusion_proof(leaves: Sequence[bytes], index: int) -> tuple[bytes, ...]:
    return MerkleTree(leaves).inclusion_proof(index)


def root_from_path(leaf: bytes, index: int, tree_size: int, path: Sequence[bytes]) -> bytes | None:
    """The root that ``path`` leads to from ``leaf`` at ``index`` in a tree of ``tree_size``, or None when
    the path cannot belong to that position (wrong length, index out of range): RFC 9162 2.1.3.2."""
    if not (_is_int(index) and _is_int(tree_size) and 0 <= index < tree_size):
        return None
    fn, sn = index, tree_size - 1
    r = leaf_hash(leaf)
    for p in path:
        if not isinstance(p, bytes) or len(p) != 32 or sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(leaf: bytes, index: int, tree_size: int, path: Sequence[bytes], root_hash: bytes) -> bool:
    """True when ``path`` proves that ``leaf`` is leaf ``index`` of the tree of ``tree_size`` with ``root_hash``."""
    found = root_from_path(leaf, index, tree_size, path)
    return found is not None and found == root_hash


def gift_leaf(*, donation: int, amount: int, code: str, entry_hash: str, fund: str, received_on: date | str) -> bytes:
    """A gift's leaf (version 1): canonical JSON, see the module's docstring."""
    day = received_on.isoformat() if isinstance(received_on, date) else str(received_on)
    value = {"amount": int(amount), "code": code, "donation": int(donation), "entry_hash": entry_hash, "fund": fund,
             "received_on": day, "v": GIFT_LEAF_VERSION}
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


GIFT_LEAF_FORMULA = ('叶子哈希 = SHA-256(0x00‖{"amount":分,"code":核验码,"donation":编号,"entry_hash":分录哈希,'
                     '"fund":基金代码,"received_on":"日期","v":1})')
"""The leaf hash in one line, as the report's cover prints it (JSON: UTF-8, keys sorted, no spaces)."""


__all__ = ["MerkleTree", "root", "inclusion_proof", "root_from_path", "verify_inclusion", "leaf_hash", "node_hash",
           "gift_leaf", "EMPTY_ROOT", "GIFT_LEAF_FORMULA", "GIFT_LEAF_VERSION"]
