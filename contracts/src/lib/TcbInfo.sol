// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Json} from "./Json.sol";

/// @title TcbInfo
/// @notice Intel's TCB Info (SGX v2/v3, TDX v3), parsed from the signed inner
///         "tcbInfo" object into the fields evaluation needs, as
///         src/attest/tcb.c does: levels sorted by descending TCB, TDX module
///         identities, advisory ids. Members it does not use are skipped;
///         a member it uses must appear once.
library TcbInfo {
    using Json for bytes;

    error BadTcbInfo(string what);

    /// Statuses, numbered as clo_tcb_status.
    uint8 internal constant UP_TO_DATE = 0;
    uint8 internal constant SW_HARDENING_NEEDED = 1;
    uint8 internal constant CONFIGURATION_NEEDED = 2;
    uint8 internal constant CONFIGURATION_AND_SW_HARDENING_NEEDED = 3;
    uint8 internal constant OUT_OF_DATE = 4;
    uint8 internal constant OUT_OF_DATE_CONFIGURATION_NEEDED = 5;
    uint8 internal constant TD_RELAUNCH_ADVISED = 6;
    uint8 internal constant TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED = 7;
    uint8 internal constant REVOKED = 8;
    uint8 internal constant NOT_SUPPORTED = 9;

    uint256 internal constant MAX_LEVELS = 64;
    uint256 internal constant MAX_MODULES = 8;
    uint256 internal constant MAX_MODULE_LEVELS = 16;
    uint256 internal constant MAX_ADVISORIES = 64; // per level

    struct Level {
        bytes16 sgx; // component SVNs; a module or QE level keeps its isvsvn in `pcesvn`
        uint16 pcesvn;
        bytes16 tdx;
        uint8 status;
        uint64 date;
        bytes32[] advisories; // ids, left-aligned (each under 32 bytes)
    }

    struct Module {
        bytes32 id; // "TDX_01", left-aligned; empty for "tdxModule"
        bytes mrsigner; // 48 bytes
        bytes8 attributes;
        bytes8 attributesMask;
        Level[] levels;
    }

    struct Info {
        uint8 version;
        bool tdx;
        uint64 issueDate;
        uint64 nextUpdate;
        bytes6 fmspc;
        bytes2 pceId;
        uint32 evalNumber;
        Level[] levels; // descending TCB
        bool hasModule;
        Module module; // "tdxModule": identity, no levels
        Module[] modules; // "tdxModuleIdentities"
    }

    struct QeIdentity {
        bool tdQe; // "TD_QE" (TDX) or "QE" (SGX)
        uint64 issueDate;
        uint64 nextUpdate;
        uint32 evalNumber;
        uint32 miscselect; // written as big-endian hex of the little-endian field's value
        uint32 miscselectMask;
        bytes16 attributes;
        bytes16 attributesMask;
        bytes32 mrsigner;
        uint16 isvprodid;
        Level[] levels; // isvsvn in pcesvn, as written (descending)
    }

    // member bits of the top-level object
    uint256 private constant F_ID = 1 << 0;
    uint256 private constant F_VERSION = 1 << 1;
    uint256 private constant F_ISSUE = 1 << 2;
    uint256 private constant F_NEXT = 1 << 3;
    uint256 private constant F_FMSPC = 1 << 4;
    uint256 private constant F_PCEID = 1 << 5;
    uint256 private constant F_TYPE = 1 << 6;
    uint256 private constant F_EVAL = 1 << 7;
    uint256 private constant F_LEVELS = 1 << 8;
    uint256 private constant F_MODULE = 1 << 9;
    uint256 private constant F_MODULES = 1 << 10;
    uint256 private constant F_REQUIRED = F_VERSION | F_ISSUE | F_NEXT | F_FMSPC | F_PCEID | F_TYPE | F_EVAL | F_LEVELS;

    // what a level's "tcb" object held
    uint256 private constant T_V2 = 1 << 0; // all sixteen sgxtcbcompNNsvn
    uint256 private constant T_SGX = 1 << 1; // sgxtcbcomponents
    uint256 private constant T_TDX = 1 << 2; // tdxtcbcomponents
    uint256 private constant T_PCESVN = 1 << 3;
    uint256 private constant T_ISVSVN = 1 << 4;

    /// Parsing state that does not fit the stack.
    struct Ctx {
        uint256 p;
        uint256 seen;
        uint256 forms; // T_* bits every level had (AND)
        bytes32 id;
    }

    /// @notice Parse the "tcbInfo" object (exactly the signed bytes).
    function parse(bytes calldata s) internal pure returns (Info memory info) {
        Ctx memory c;
        c.forms = type(uint256).max;
        bool more;
        (c.p, more) = s.open(0, 0x7b);
        while (more) {
            _member(s, c, info);
            (c.p, more) = s.next(c.p, 0x7d);
        }
        if (s.ws(c.p) != s.length) revert BadTcbInfo("bytes after the object");
        _check(c, info);
        _sort(info.levels);
    }

    function _once(Ctx memory c, uint256 bit) private pure {
        if (c.seen & bit != 0) revert BadTcbInfo("member repeated");
        c.seen |= bit;
    }

    function _member(bytes calldata s, Ctx memory c, Info memory info) private pure {
        (bytes32 k, uint256 p) = s.key(c.p);
        uint256 v;
        if (k == keccak256("id")) {
            _once(c, F_ID);
            (uint256 a, uint256 b, uint256 q) = s.str(p);
            c.id = keccak256(s[a:b]);
            p = q;
        } else if (k == keccak256("version")) {
            _once(c, F_VERSION);
            (v, p) = s.uintv(p);
            if (v != 2 && v != 3) revert BadTcbInfo("version is not 2 or 3");
            info.version = uint8(v);
        } else if (k == keccak256("issueDate")) {
            _once(c, F_ISSUE);
            (info.issueDate, p) = s.time(p);
        } else if (k == keccak256("nextUpdate")) {
            _once(c, F_NEXT);
            (info.nextUpdate, p) = s.time(p);
        } else if (k == keccak256("fmspc")) {
            _once(c, F_FMSPC);
            bytes memory h;
            (h, p) = s.hexv(p, 6);
            info.fmspc = bytes6(h);
        } else if (k == keccak256("pceId")) {
            _once(c, F_PCEID);
            bytes memory h;
            (h, p) = s.hexv(p, 2);
            info.pceId = bytes2(h);
        } else if (k == keccak256("tcbType")) {
            _once(c, F_TYPE);
            (v, p) = s.uintv(p);
            if (v != 0) revert BadTcbInfo("tcbType is not 0");
        } else if (k == keccak256("tcbEvaluationDataNumber")) {
            _once(c, F_EVAL);
            (v, p) = s.uintv(p);
            if (v > 0x7fffffff) revert BadTcbInfo("tcbEvaluationDataNumber");
            info.evalNumber = uint32(v);
        } else if (k == keccak256("tcbLevels")) {
            _once(c, F_LEVELS);
            c.p = p;
            info.levels = _levels(s, c, MAX_LEVELS);
            return;
        } else if (k == keccak256("tdxModule")) {
            _once(c, F_MODULE);
            c.p = p;
            info.module = _module(s, c, false);
            info.hasModule = true;
            return;
        } else if (k == keccak256("tdxModuleIdentities")) {
            _once(c, F_MODULES);
            c.p = p;
            info.modules = _modules(s, c);
            return;
        } else {
            p = s.skip(p, 1);
        }
        c.p = p;
    }

    function _check(Ctx memory c, Info memory info) private pure {
        if (c.seen & F_REQUIRED != F_REQUIRED) revert BadTcbInfo("required member missing");
        if (info.version == 3) {
            if (c.seen & F_ID == 0) revert BadTcbInfo("id");
            info.tdx = c.id == keccak256("TDX");
            if (!info.tdx && c.id != keccak256("SGX")) revert BadTcbInfo("id is neither SGX nor TDX");
        }
        uint256 need = (info.version == 2 ? T_V2 : T_SGX) | T_PCESVN | (info.tdx ? T_TDX : 0);
        if (c.forms & need != need) revert BadTcbInfo("a level lacks TCB components");
        if (info.tdx && !info.hasModule) revert BadTcbInfo("tdxModule");
    }

    /// A "tcbLevels" array: 1..max levels, each { tcb, tcbDate, tcbStatus, advisoryIDs? }.
    function _levels(bytes calldata s, Ctx memory c, uint256 max) private pure returns (Level[] memory ls) {
        ls = new Level[](max);
        uint256 n;
        bool more;
        (c.p, more) = s.open(c.p, 0x5b);
        if (!more) revert BadTcbInfo("no TCB levels");
        while (more) {
            if (n == max) revert BadTcbInfo("too many TCB levels");
            uint256 forms;
            (ls[n], forms) = _level(s, c);
            c.forms &= forms;
            n++;
            (c.p, more) = s.next(c.p, 0x5d);
        }
        assembly ("memory-safe") {
            mstore(ls, n)
        }
    }

    function _level(bytes calldata s, Ctx memory c) private pure returns (Level memory l, uint256 forms) {
        uint256 seen;
        bool more;
        (c.p, more) = s.open(c.p, 0x7b);
        while (more) {
            (bytes32 k, uint256 p) = s.key(c.p);
            uint256 bit;
            if (k == keccak256("tcb")) {
                bit = 1;
                c.p = p;
                forms = _tcb(s, c, l);
                p = c.p;
            } else if (k == keccak256("tcbDate")) {
                bit = 2;
                (l.date, p) = s.time(p);
            } else if (k == keccak256("tcbStatus")) {
                bit = 4;
                (uint256 a, uint256 b, uint256 q) = s.str(p);
                l.status = statusOf(keccak256(s[a:b]));
                p = q;
            } else if (k == keccak256("advisoryIDs")) {
                bit = 8;
                c.p = p;
                l.advisories = _advisories(s, c);
                p = c.p;
            } else {
                p = s.skip(p, 2);
            }
            if (seen & bit != 0) revert BadTcbInfo("member repeated");
            seen |= bit;
            (c.p, more) = s.next(p, 0x7d);
        }
        if (seen & 7 != 7) revert BadTcbInfo("a level lacks tcb, tcbDate or tcbStatus");
    }

    /// @notice Intel's name of a status (and of the outcome "TcbLevelNotSupported").
    function statusName(uint8 st) internal pure returns (string memory) {
        string[10] memory names = [
            "UpToDate",
            "SWHardeningNeeded",
            "ConfigurationNeeded",
            "ConfigurationAndSWHardeningNeeded",
            "OutOfDate",
            "OutOfDateConfigurationNeeded",
            "TDRelaunchAdvised",
            "TDRelaunchAdvisedConfigurationNeeded",
            "Revoked",
            "TcbLevelNotSupported"
        ];
        return st < 10 ? names[st] : "Unknown";
    }

    /// @notice A level's status from its name's keccak256 (the outcome
    ///         "TcbLevelNotSupported" is never a level's status).
    function statusOf(bytes32 h) internal pure returns (uint8) {
        for (uint8 i = 0; i < NOT_SUPPORTED; i++) {
            if (h == keccak256(bytes(statusName(i)))) return i;
        }
        revert BadTcbInfo("unknown tcbStatus");
    }

    function _advisories(bytes calldata s, Ctx memory c) private pure returns (bytes32[] memory ids) {
        ids = new bytes32[](MAX_ADVISORIES);
        uint256 n;
        bool more;
        (c.p, more) = s.open(c.p, 0x5b);
        while (more) {
            if (n == MAX_ADVISORIES) revert BadTcbInfo("too many advisories");
            (uint256 a, uint256 b, uint256 q) = s.str(c.p);
            if (b - a >= 32) revert BadTcbInfo("advisory id");
            ids[n++] = bytes32(s[a:b]);
            (c.p, more) = s.next(q, 0x5d);
        }
        assembly ("memory-safe") {
            mstore(ids, n)
        }
    }

    /// A level's "tcb": v3 component arrays, v2 sgxtcbcompNNsvn keys, pcesvn, isvsvn.
    function _tcb(bytes calldata s, Ctx memory c, Level memory l) private pure returns (uint256 forms) {
        bytes memory v2 = new bytes(16);
        uint256 v2seen;
        bool more;
        (c.p, more) = s.open(c.p, 0x7b);
        while (more) {
            uint256 bit = _tcbEntry(s, c, l, v2);
            if (bit >= 1 << 8) {
                if (v2seen & bit != 0) revert BadTcbInfo("member repeated");
                v2seen |= bit;
            } else {
                if (forms & bit != 0) revert BadTcbInfo("member repeated");
                forms |= bit;
            }
            (c.p, more) = s.next(c.p, 0x7d);
        }
        if (v2seen == 0xffff << 8) {
            forms |= T_V2;
            if (forms & T_SGX == 0) l.sgx = bytes16(v2);
        }
    }

    /// One member of "tcb": its T_* bit, or 1 << (8 + NN - 1) for sgxtcbcompNNsvn.
    function _tcbEntry(bytes calldata s, Ctx memory c, Level memory l, bytes memory v2) private pure returns (uint256) {
        (uint256 a, uint256 b, uint256 q) = s.str(c.p);
        c.p = s.expect(q, 0x3a);
        if (b - a == 15 && bytes10(s[a:a + 10]) == "sgxtcbcomp" && bytes3(s[a + 12:b]) == "svn") {
            return 1 << (8 + _v2comp(s, c, a, v2));
        }
        return _tcbMember(s, c, l, keccak256(s[a:b]));
    }

    function _tcbMember(bytes calldata s, Ctx memory c, Level memory l, bytes32 k) private pure returns (uint256) {
        uint256 v;
        if (k == keccak256("sgxtcbcomponents")) {
            (l.sgx, c.p) = _components(s, c.p);
            return T_SGX;
        }
        if (k == keccak256("tdxtcbcomponents")) {
            (l.tdx, c.p) = _components(s, c.p);
            return T_TDX;
        }
        if (k == keccak256("pcesvn") || k == keccak256("isvsvn")) {
            (v, c.p) = s.uintv(c.p);
            if (v > 65535) revert BadTcbInfo("pcesvn or isvsvn");
            l.pcesvn = uint16(v);
            return k == keccak256("pcesvn") ? T_PCESVN : T_ISVSVN;
        }
        c.p = s.skip(c.p, 3);
        return 0;
    }

    /// "sgxtcbcompNNsvn": NN in 01..16; its value into v2[NN - 1].
    function _v2comp(bytes calldata s, Ctx memory c, uint256 a, bytes memory v2) private pure returns (uint256 i) {
        uint8 d0 = uint8(s[a + 10]);
        uint8 d1 = uint8(s[a + 11]);
        if (d0 < 0x30 || d0 > 0x39 || d1 < 0x30 || d1 > 0x39) revert BadTcbInfo("component");
        i = (d0 - 0x30) * 10 + (d1 - 0x30);
        if (i < 1 || i > 16) revert BadTcbInfo("component");
        i--;
        uint256 v;
        (v, c.p) = s.uintv(c.p);
        if (v > 255) revert BadTcbInfo("component svn");
        v2[i] = bytes1(uint8(v));
    }

    /// Sixteen { "svn": n, ... } objects.
    function _components(bytes calldata s, uint256 p) private pure returns (bytes16 out, uint256) {
        bytes memory v = new bytes(16);
        p = s.expect(p, 0x5b);
        for (uint256 i = 0; i < 16; i++) {
            bool got;
            bool more;
            (p, more) = s.open(p, 0x7b);
            while (more) {
                (bytes32 k, uint256 q) = s.key(p);
                if (k == keccak256("svn")) {
                    if (got) revert BadTcbInfo("member repeated");
                    got = true;
                    uint256 x;
                    (x, q) = s.uintv(q);
                    if (x > 255) revert BadTcbInfo("component svn");
                    v[i] = bytes1(uint8(x));
                } else {
                    q = s.skip(q, 4);
                }
                (p, more) = s.next(q, 0x7d);
            }
            if (!got) revert BadTcbInfo("component svn");
            bool last;
            (p, last) = s.next(p, 0x5d);
            if (last != (i < 15)) revert BadTcbInfo("16 TCB components expected");
        }
        return (bytes16(v), p);
    }

    /// A TDX module identity: mrsigner, attributes, attributesMask, and with levels id, tcbLevels.
    function _module(bytes calldata s, Ctx memory c, bool withLevels) private pure returns (Module memory m) {
        uint256 seen;
        bool more;
        (c.p, more) = s.open(c.p, 0x7b);
        while (more) {
            (bytes32 k, uint256 p) = s.key(c.p);
            uint256 bit;
            bytes memory h;
            if (k == keccak256("mrsigner")) {
                bit = 1;
                (m.mrsigner, p) = s.hexv(p, 48);
            } else if (k == keccak256("attributes")) {
                bit = 2;
                (h, p) = s.hexv(p, 8);
                m.attributes = bytes8(h);
            } else if (k == keccak256("attributesMask")) {
                bit = 4;
                (h, p) = s.hexv(p, 8);
                m.attributesMask = bytes8(h);
            } else if (withLevels && k == keccak256("id")) {
                bit = 8;
                (uint256 a, uint256 b, uint256 q) = s.str(p);
                if (b - a >= 16) revert BadTcbInfo("TDX module id");
                m.id = bytes32(s[a:b]);
                p = q;
            } else if (withLevels && k == keccak256("tcbLevels")) {
                bit = 16;
                c.p = p;
                uint256 forms = c.forms;
                c.forms = type(uint256).max;
                m.levels = _levels(s, c, MAX_MODULE_LEVELS);
                if (c.forms & T_ISVSVN == 0) revert BadTcbInfo("TDX module isvsvn");
                for (uint256 i = 0; i < m.levels.length; i++) {
                    if (m.levels[i].pcesvn > 255) revert BadTcbInfo("TDX module isvsvn");
                }
                c.forms = forms;
                p = c.p;
            } else {
                p = s.skip(p, 2);
            }
            if (seen & bit != 0) revert BadTcbInfo("member repeated");
            seen |= bit;
            (c.p, more) = s.next(p, 0x7d);
        }
        if (seen & 7 != 7 || (withLevels && seen != 31)) revert BadTcbInfo("TDX module identity");
    }

    function _modules(bytes calldata s, Ctx memory c) private pure returns (Module[] memory ms) {
        ms = new Module[](MAX_MODULES);
        uint256 n;
        bool more;
        (c.p, more) = s.open(c.p, 0x5b);
        while (more) {
            if (n == MAX_MODULES) revert BadTcbInfo("tdxModuleIdentities");
            ms[n++] = _module(s, c, true);
            (c.p, more) = s.next(c.p, 0x5d);
        }
        assembly ("memory-safe") {
            mstore(ms, n)
        }
    }

    /// @notice Parse the "enclaveIdentity" object (exactly the signed bytes): version 2, QE or TD_QE.
    function parseQeIdentity(bytes calldata s) internal pure returns (QeIdentity memory q) {
        Ctx memory c;
        c.forms = type(uint256).max;
        bool more;
        (c.p, more) = s.open(0, 0x7b);
        while (more) {
            _qeMember(s, c, q);
            (c.p, more) = s.next(c.p, 0x7d);
        }
        if (s.ws(c.p) != s.length) revert BadTcbInfo("bytes after the object");
        if (c.seen != (1 << 12) - 1) revert BadTcbInfo("required member missing");
        if (c.forms & T_ISVSVN == 0) revert BadTcbInfo("a level lacks isvsvn");
        q.tdQe = c.id == keccak256("TD_QE");
        if (!q.tdQe && c.id != keccak256("QE")) revert BadTcbInfo("id is neither QE nor TD_QE");
    }

    function _qeMember(bytes calldata s, Ctx memory c, QeIdentity memory q) private pure {
        (bytes32 k, uint256 p) = s.key(c.p);
        uint256 v;
        bytes memory h;
        if (k == keccak256("id")) {
            _once(c, 1 << 0);
            (uint256 a, uint256 b, uint256 r) = s.str(p);
            c.id = keccak256(s[a:b]);
            p = r;
        } else if (k == keccak256("version")) {
            _once(c, 1 << 1);
            (v, p) = s.uintv(p);
            if (v != 2) revert BadTcbInfo("version is not 2");
        } else if (k == keccak256("issueDate")) {
            _once(c, 1 << 2);
            (q.issueDate, p) = s.time(p);
        } else if (k == keccak256("nextUpdate")) {
            _once(c, 1 << 3);
            (q.nextUpdate, p) = s.time(p);
        } else if (k == keccak256("tcbEvaluationDataNumber")) {
            _once(c, 1 << 4);
            (v, p) = s.uintv(p);
            if (v > 0x7fffffff) revert BadTcbInfo("tcbEvaluationDataNumber");
            q.evalNumber = uint32(v);
        } else if (k == keccak256("miscselect")) {
            _once(c, 1 << 5);
            (h, p) = s.hexv(p, 4);
            q.miscselect = uint32(bytes4(h));
        } else if (k == keccak256("miscselectMask")) {
            _once(c, 1 << 6);
            (h, p) = s.hexv(p, 4);
            q.miscselectMask = uint32(bytes4(h));
        } else if (k == keccak256("attributes")) {
            _once(c, 1 << 7);
            (h, p) = s.hexv(p, 16);
            q.attributes = bytes16(h);
        } else if (k == keccak256("attributesMask")) {
            _once(c, 1 << 8);
            (h, p) = s.hexv(p, 16);
            q.attributesMask = bytes16(h);
        } else if (k == keccak256("mrsigner")) {
            _once(c, 1 << 9);
            (h, p) = s.hexv(p, 32);
            q.mrsigner = bytes32(h);
        } else if (k == keccak256("isvprodid")) {
            _once(c, 1 << 10);
            (v, p) = s.uintv(p);
            if (v > 65535) revert BadTcbInfo("isvprodid");
            q.isvprodid = uint16(v);
        } else if (k == keccak256("tcbLevels")) {
            _once(c, 1 << 11);
            c.p = p;
            q.levels = _levels(s, c, MAX_LEVELS);
            return;
        } else {
            p = s.skip(p, 1);
        }
        c.p = p;
    }

    // ---- evaluation (src/attest/tcb.c clo_tcb_evaluate: Intel QVL's rules) ----

    error TcbMismatch(string what);

    /// What evaluation reads of a verified quote and its PCK certificate.
    struct Subject {
        bool tdx;
        bytes16 teeTcbSvn;
        bytes mrsignerseam; // 48 bytes
        bytes8 seamAttributes;
        bool v15;
        bytes16 teeTcbSvn2;
        bytes32 qeMrsigner;
        uint16 qeIsvprodid;
        uint32 qeMiscselect;
        bytes16 qeAttributes;
        uint16 qeIsvsvn;
        bytes16 compSvn;
        uint16 pceSvn;
        bytes6 fmspc;
        bytes2 pceId;
    }

    struct Eval {
        uint8 status; // converged, as Intel reports it
        uint8 platform;
        uint8 qe;
        bool moduleChecked;
        uint8 module;
        bytes32[] advisories; // in the order met, once each
    }

    function evaluate(Subject memory q, Info memory info, QeIdentity memory qe) internal pure returns (Eval memory e) {
        if (q.tdx != info.tdx) revert TcbMismatch("TCB Info is for another TEE type");
        if (q.fmspc != info.fmspc) revert TcbMismatch("TCB Info FMSPC does not match the PCK certificate");
        if (q.pceId != info.pceId) revert TcbMismatch("TCB Info PCE-ID does not match the PCK certificate");
        if (qe.tdQe != q.tdx) revert TcbMismatch("QE Identity is for another TEE type");
        e.advisories = new bytes32[](0);
        _qeStatus(q, qe, e);
        (int256 si, int256 ti) = _match(q, info);
        if (si < 0 || (q.tdx && ti < 0)) {
            e.platform = e.status = NOT_SUPPORTED;
            return e;
        }
        if (!q.tdx) {
            Level memory l = info.levels[uint256(si)];
            e.platform = l.status;
            _add(e, l.advisories);
            e.status = _converge(e.platform, e.qe);
            return e;
        }
        Level memory tl = info.levels[uint256(ti)];
        e.platform = tl.status;
        _add(e, tl.advisories);
        _moduleStatus(q, info, e);
        if (e.module == NOT_SUPPORTED) {
            e.status = NOT_SUPPORTED;
            return e;
        }
        uint8 st = _converge(tl.status, e.module);
        if (q.v15) st = _relaunch(q, info, info.levels[uint256(si)].status, st, e);
        e.status = _converge(st, e.qe);
    }

    /// The first level (descending) the platform's SGX TCB reaches, and for TDX the first
    /// at or after it that the TEE TCB SVN reaches too; -1 for none.
    function _match(Subject memory q, Info memory info) private pure returns (int256 si, int256 ti) {
        si = -1;
        ti = -1;
        for (uint256 i = 0; i < info.levels.length; i++) {
            Level memory l = info.levels[i];
            if (!_ge(q.compSvn, l.sgx, 0) || q.pceSvn < l.pcesvn) continue;
            if (si < 0) si = int256(i);
            if (!q.tdx) return (si, ti);
            if (_ge(q.teeTcbSvn, l.tdx, uint8(q.teeTcbSvn[1]) > 0 ? 2 : 0)) return (si, int256(i));
        }
    }

    function _ge(bytes16 a, bytes16 b, uint256 from) private pure returns (bool) {
        for (uint256 i = from; i < 16; i++) {
            if (uint8(a[i]) < uint8(b[i])) return false;
        }
        return true;
    }

    function _qeStatus(Subject memory q, QeIdentity memory qe, Eval memory e) private pure {
        if (q.qeMrsigner != qe.mrsigner) revert TcbMismatch("QE report MRSIGNER does not match QE Identity");
        if (q.qeIsvprodid != qe.isvprodid) revert TcbMismatch("QE report ISVPRODID does not match QE Identity");
        if (q.qeMiscselect & qe.miscselectMask != qe.miscselect & qe.miscselectMask) {
            revert TcbMismatch("QE report MISCSELECT does not match QE Identity");
        }
        if (q.qeAttributes & qe.attributesMask != qe.attributes & qe.attributesMask) {
            revert TcbMismatch("QE report ATTRIBUTES do not match QE Identity");
        }
        for (uint256 i = 0; i < qe.levels.length; i++) {
            if (q.qeIsvsvn >= qe.levels[i].pcesvn) {
                e.qe = qe.levels[i].status;
                _add(e, qe.levels[i].advisories);
                return;
            }
        }
        e.qe = NOT_SUPPORTED;
    }

    /// The module identity "TDX_%02X" of a module major version (ids compared ignoring case).
    function _findModule(Info memory info, uint8 version) private pure returns (int256) {
        bytes16 hexd = "0123456789ABCDEF";
        bytes32 want = bytes32(bytes.concat("TDX_", hexd[version >> 4], hexd[version & 15]));
        for (uint256 i = 0; i < info.modules.length; i++) {
            if (_upper(info.modules[i].id) == want) return int256(i);
        }
        return -1;
    }

    function _upper(bytes32 x) private pure returns (bytes32) {
        bytes memory b = abi.encodePacked(x);
        for (uint256 i = 0; i < 32; i++) {
            if (b[i] >= "a" && b[i] <= "z") b[i] = bytes1(uint8(b[i]) - 32);
        }
        return bytes32(b);
    }

    /// QVL checkTdxModuleTcbStatus, with the identity check on MRSIGNERSEAM and SEAM attributes.
    function _moduleStatus(Subject memory q, Info memory info, Eval memory e) private pure {
        uint8 major = uint8(q.teeTcbSvn[1]);
        e.module = UP_TO_DATE;
        Module memory id;
        bool have = info.hasModule;
        if (have) id = info.module;
        if (major != 0) {
            int256 k = _findModule(info, major);
            if (k < 0) revert TcbMismatch("TDX module version has no identity in TCB Info");
            id = info.modules[uint256(k)];
            have = true;
        }
        if (have) {
            if (keccak256(id.mrsigner) != keccak256(q.mrsignerseam)) {
                revert TcbMismatch("TDX module MRSIGNERSEAM does not match TCB Info");
            }
            if (q.seamAttributes & id.attributesMask != id.attributes & id.attributesMask) {
                revert TcbMismatch("TDX module attributes do not match TCB Info");
            }
        }
        if (major == 0) return; // TDX 1.0 module: no module TCB levels
        e.moduleChecked = true;
        for (uint256 i = 0; i < id.levels.length; i++) {
            if (uint8(q.teeTcbSvn[0]) >= id.levels[i].pcesvn) {
                e.module = id.levels[i].status;
                _add(e, id.levels[i].advisories);
                return;
            }
        }
        e.module = NOT_SUPPORTED;
    }

    /// QVL checkForRelaunch (TD report 1.5).
    function _relaunch(Subject memory q, Info memory info, uint8 sgx, uint8 tdx, Eval memory e)
        private
        pure
        returns (uint8)
    {
        if (e.qe == OUT_OF_DATE || e.qe == REVOKED || e.qe == NOT_SUPPORTED) return tdx;
        if (sgx > CONFIGURATION_AND_SW_HARDENING_NEEDED) return tdx; // not UpToDate..ConfigAndSWHardening
        if ((tdx != OUT_OF_DATE && tdx != OUT_OF_DATE_CONFIGURATION_NEEDED) || e.module != OUT_OF_DATE) return tdx;
        Level memory latest = info.levels[0];
        uint8 needed = uint8(latest.tdx[0]);
        uint8 major2 = uint8(q.teeTcbSvn2[1]);
        if (major2 != 0) {
            int256 k = _findModule(info, major2);
            if (k < 0 || info.modules[uint256(k)].levels.length == 0) return NOT_SUPPORTED;
            needed = uint8(info.modules[uint256(k)].levels[0].pcesvn);
        }
        if (uint8(q.teeTcbSvn2[0]) >= needed && uint8(q.teeTcbSvn2[2]) >= uint8(latest.tdx[2])) {
            return
                _configNeeded(sgx) || _configNeeded(tdx)
                    ? TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED
                    : TD_RELAUNCH_ADVISED;
        }
        return tdx;
    }

    function _configNeeded(uint8 s) private pure returns (bool) {
        return s == CONFIGURATION_NEEDED || s == OUT_OF_DATE_CONFIGURATION_NEEDED
            || s == CONFIGURATION_AND_SW_HARDENING_NEEDED || s == TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED;
    }

    /// QVL convergeTcbStatusWithQeTcbStatus / ...WithTdxModuleStatus.
    function _converge(uint8 level, uint8 other) private pure returns (uint8) {
        if (other == OUT_OF_DATE) {
            if (level == UP_TO_DATE || level == SW_HARDENING_NEEDED) return OUT_OF_DATE;
            if (level == CONFIGURATION_NEEDED || level == CONFIGURATION_AND_SW_HARDENING_NEEDED) {
                return OUT_OF_DATE_CONFIGURATION_NEEDED;
            }
        }
        if (other == REVOKED) return REVOKED;
        if (other == NOT_SUPPORTED) return NOT_SUPPORTED;
        return level;
    }

    /// Append ids not yet listed (at most 64 in all, as the C evaluation keeps).
    function _add(Eval memory e, bytes32[] memory ids) private pure {
        for (uint256 i = 0; i < ids.length; i++) {
            bool dup;
            for (uint256 j = 0; j < e.advisories.length && !dup; j++) {
                dup = e.advisories[j] == ids[i];
            }
            if (dup || e.advisories.length >= 64) continue;
            bytes32[] memory n = new bytes32[](e.advisories.length + 1);
            for (uint256 j = 0; j < e.advisories.length; j++) {
                n[j] = e.advisories[j];
            }
            n[e.advisories.length] = ids[i];
            e.advisories = n;
        }
    }

    /// Descending TCB: SGX components, then PCESVN, then TDX components (tcb.c's order).
    function _sort(Level[] memory ls) private pure {
        for (uint256 i = 1; i < ls.length; i++) {
            Level memory x = ls[i];
            uint256 j = i;
            while (j > 0 && _above(x, ls[j - 1])) {
                ls[j] = ls[j - 1];
                j--;
            }
            ls[j] = x;
        }
    }

    function _above(Level memory a, Level memory b) private pure returns (bool) {
        if (a.sgx != b.sgx) return a.sgx > b.sgx;
        if (a.pcesvn != b.pcesvn) return a.pcesvn > b.pcesvn;
        return a.tdx > b.tdx;
    }
}
