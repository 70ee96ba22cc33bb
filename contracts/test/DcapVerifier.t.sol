// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TestBase} from "./utils/Vm.sol";
import {Pem} from "./utils/Pem.sol";
import {DcapVerifier} from "../src/DcapVerifier.sol";
import {DcapCollateral} from "../src/DcapCollateral.sol";
import {DcapPki} from "../src/DcapPki.sol";
import {IDcapVerifier} from "../src/interfaces/IDcapVerifier.sol";
import {DcapQuote} from "../src/lib/DcapQuote.sol";
import {PckExt} from "../src/lib/PckExt.sol";
import {X509} from "../src/lib/X509.sol";
import {TcbInfo} from "../src/lib/TcbInfo.sol";

contract EvalHarness {
    function evaluate(bytes calldata q, bytes calldata info, bytes calldata qeId, PckExt.Fields memory f)
        external
        pure
        returns (TcbInfo.Eval memory)
    {
        (DcapQuote.Header memory h, DcapQuote.Parts memory p) = DcapQuote.split(q);
        TcbInfo.Subject memory s = DcapQuote.subject(q[0:p.signedEnd], h, q[p.qeReport:p.qeReport + 384], f);
        return TcbInfo.evaluate(s, TcbInfo.parse(info), TcbInfo.parseQeIdentity(qeId));
    }
}

contract EvalParts {
    function parts(bytes calldata q, bytes calldata info, bytes calldata qeId, PckExt.Fields memory f)
        external
        pure
        returns (TcbInfo.Subject memory s, TcbInfo.Info memory i, TcbInfo.QeIdentity memory e)
    {
        (DcapQuote.Header memory h, DcapQuote.Parts memory p) = DcapQuote.split(q);
        s = DcapQuote.subject(q[0:p.signedEnd], h, q[p.qeReport:p.qeReport + 384], f);
        i = TcbInfo.parse(info);
        e = TcbInfo.parseQeIdentity(qeId);
    }
}

/// TcbInfo.evaluate on parts a test edits (its own contract: EIP-170).
contract EvalOnly {
    function evaluate(TcbInfo.Subject memory s, TcbInfo.Info memory i, TcbInfo.QeIdentity memory e)
        external
        pure
        returns (TcbInfo.Eval memory)
    {
        return TcbInfo.evaluate(s, i, e);
    }
}

contract QuoteSplitter {
    function split(bytes calldata q) external pure returns (DcapQuote.Header memory, DcapQuote.Parts memory) {
        return DcapQuote.split(q);
    }

    function notBefore(bytes calldata cert) external pure returns (uint64) {
        return X509.parse(cert).notBefore;
    }

    function subject(bytes calldata cert) external pure returns (bytes32) {
        return X509.parse(cert).subjectHash;
    }

    function issuer(bytes calldata cert) external pure returns (bytes32) {
        return X509.parse(cert).issuerHash;
    }

    function notAfter(bytes calldata cert) external pure returns (uint64) {
        return X509.parse(cert).notAfter;
    }

    function key(bytes calldata cert) external pure returns (bytes32) {
        X509.Cert memory c = X509.parse(cert);
        return keccak256(abi.encodePacked(c.x, c.y));
    }
}

/// The real quotes of tests/vectors/intel-dcap, at the times tests/attest/dcap_cases.json
/// states for them, through the three tiers.
contract DcapVerifierTest is TestBase {
    QuoteSplitter qs = new QuoteSplitter();
    string cases;

    struct Case {
        string dir;
        bytes quote;
        DcapQuote.Parts p;
        bytes leaf;
        bytes ca;
        bytes root;
        bytes6 fmspc;
        uint256 when;
    }

    function setUp() public {
        cases = vm.readFile("../tests/attest/dcap_cases.json");
    }

    function slice(bytes memory b, uint256 from, uint256 to) internal pure returns (bytes memory out) {
        out = new bytes(to - from);
        for (uint256 i = 0; i < out.length; i++) {
            out[i] = b[from + i];
        }
    }

    function load(uint256 i) internal view returns (Case memory c) {
        string memory k = string.concat(".cases[", vm.toString(i), "]");
        c.dir = vm.parseJsonString(cases, string.concat(k, ".dir"));
        c.when = Pem.time(vm.parseJsonString(cases, string.concat(k, ".at")));
        c.fmspc = bytes6(vm.parseBytes(string.concat("0x", vm.parseJsonString(cases, string.concat(k, ".fmspc")))));
        c.quote = vm.readFileBinary(string.concat("../tests/vectors/", c.dir, "/quote.bin"));
        (, c.p) = qs.split(c.quote);
        bytes memory pem = slice(c.quote, c.p.pckChain, c.p.pckChainEnd);
        c.leaf = Pem.cert(pem, 0);
        c.ca = Pem.cert(pem, 1);
        c.root = vm.readFileBinary("../tests/vectors/intel-dcap/roots/IntelSGXRootCA.der");
    }

    /// Each verifier's PKI and collateral contracts (read without a call, so
    /// expectRevert applies to the call under test).
    mapping(address => DcapCollateral) cols;
    mapping(address => DcapPki) pkis;

    function fresh(bytes32 rootKeyHash) internal returns (DcapVerifier v) {
        return fresh(rootKeyHash, false);
    }

    function fresh(bytes32 rootKeyHash, bool simulated) internal returns (DcapVerifier v) {
        DcapPki pki = new DcapPki(rootKeyHash, simulated);
        DcapCollateral col = new DcapCollateral(pki);
        v = new DcapVerifier(col);
        cols[address(v)] = col;
        pkis[address(v)] = pki;
    }

    function deploy(Case memory c) internal returns (DcapVerifier v) {
        return deploy(c, false);
    }

    function deploy(Case memory c, bool simulated) internal returns (DcapVerifier v) {
        vm.warp(c.when);
        v = fresh(qs.key(c.root), simulated);
        pkis[address(v)].setRoot(c.root);
        vm.assertFalse(pkis[address(v)].holdsCa(c.ca), "not held yet");
        pkis[address(v)].addCa(c.ca);
        vm.assertTrue(pkis[address(v)].holdsCa(c.ca), "held");
    }

    function platform(DcapVerifier v, Case memory c) internal view returns (PckExt.Fields memory f, uint64 until) {
        bytes memory q = c.quote;
        DcapQuote.Parts memory p = c.p;
        return v.checkPlatform(
            c.leaf,
            slice(q, p.qeReport, p.qeReport + 384),
            slice(q, p.qeReportSig, p.qeReportSig + 64),
            slice(q, p.qeAuth, p.qeAuthEnd),
            slice(q, p.attKey, p.attKey + 64)
        );
    }

    function test_realQuotesThroughTheTiers() public {
        for (uint256 i = 0; i < 8; i++) {
            Case memory c = load(i);
            DcapVerifier v = deploy(c);
            (PckExt.Fields memory f, uint64 until) = platform(v, c);
            vm.assertEq(bytes32(f.fmspc), bytes32(c.fmspc), c.dir);
            vm.assertTrue(until > c.when, "valid until later");
            DcapQuote.Header memory h = v.checkQuote(
                slice(c.quote, 0, c.p.signedEnd),
                slice(c.quote, c.p.sig, c.p.sig + 64),
                slice(c.quote, c.p.attKey, c.p.attKey + 64)
            );
            vm.assertEq(uint256(h.teeType), bytes(c.dir)[11] == "s" ? 0 : 0x81, c.dir);
        }
    }

    function test_collateralRefusals() public {
        Case memory c = load(3); // tdx-v4-dcapqvl
        vm.warp(c.when);
        DcapVerifier v = fresh(keccak256("another root"));
        vm.expectRevert(DcapPki.NotTheRoot.selector);
        pkis[address(v)].setRoot(c.root);
        v = fresh(qs.key(c.root));
        vm.expectRevert(DcapPki.RootNotSet.selector);
        pkis[address(v)].addCa(c.ca);
        pkis[address(v)].setRoot(c.root);
        vm.expectRevert(DcapPki.RootAlreadySet.selector);
        pkis[address(v)].setRoot(c.root);
        bytes memory bad = bytes.concat(c.ca); // a copy
        bad[bad.length - 5] ^= 0x01; // inside the signature
        vm.expectRevert(DcapPki.BadCertSignature.selector);
        pkis[address(v)].addCa(bad);
        vm.expectRevert(abi.encodeWithSelector(DcapPki.UnknownIssuer.selector, qs.issuer(c.leaf)));
        pkis[address(v)].addCa(c.leaf); // issued by the CA, not the root
        // the TCB Signing certificate: issued by the root, not a CA
        bytes memory tcbSigner =
            Pem.cert(vm.readFileBinary(string.concat("../tests/vectors/", c.dir, "/tcb_info_issuer_chain.pem")), 0);
        vm.expectRevert(DcapPki.NotACa.selector);
        pkis[address(v)].addCa(tcbSigner);
        pkis[address(v)].addCa(c.ca);
        (bytes32 x,, uint64 until,,) = pkis[address(v)].cas(qs.subject(c.ca));
        vm.assertTrue(x != bytes32(0) && until > c.when, "CA stored");
    }

    function test_platformRefusals() public {
        Case memory c = load(3);
        DcapVerifier v = deploy(c);
        platform(v, c);

        // a flipped QE report byte
        Case memory t = load(3);
        t.quote[t.p.qeReport + 100] ^= 0x01;
        vm.expectRevert(DcapVerifier.BadQeReportSignature.selector);
        this.platformOf(v, t);
        // another attestation key, or other auth data: the QE report does not bind it
        t = load(3);
        t.quote[t.p.attKey + 3] ^= 0x01;
        vm.expectRevert(DcapVerifier.QeReportDoesNotBindKey.selector);
        this.platformOf(v, t);
        // the PCK certificate expired
        uint64 end = qs.notAfter(c.leaf);
        vm.warp(uint256(end) + 1);
        vm.expectRevert(abi.encodeWithSelector(DcapVerifier.CertNotValidNow.selector, qs.notBefore(c.leaf), end));
        this.platformOf(v, c);
    }

    function test_pckFromAnUnknownCa() public {
        Case memory c = load(3);
        vm.warp(c.when);
        DcapVerifier v = fresh(qs.key(c.root));
        pkis[address(v)].setRoot(c.root); // its CA not submitted
        vm.expectRevert(abi.encodeWithSelector(DcapVerifier.UnknownIssuer.selector, qs.issuer(c.leaf)));
        this.platformOf(v, c);
    }

    function platformOf(DcapVerifier v, Case memory c) external view returns (PckExt.Fields memory f, uint64 until) {
        return platform(v, c);
    }

    /// The TCB status and advisories the C verifier reaches (dcap_cases.json), case by case.
    function test_tcbEvaluationAsTheCVerifier() public {
        EvalHarness eh = new EvalHarness();
        uint256 checked;
        for (uint256 i = 0; i < 8; i++) {
            Case memory c = load(i);
            string memory k = string.concat(".cases[", vm.toString(i), "]");
            string memory want = vm.parseJsonString(cases, string.concat(k, ".tcb_status"));
            if (keccak256(bytes(want)) == keccak256("missing collateral")) continue;
            DcapVerifier v = deploy(c);
            (PckExt.Fields memory f,) = platform(v, c);
            string memory d = string.concat("../tests/vectors/", c.dir);
            bytes memory info = Pem.member(vm.readFileBinary(string.concat(d, "/tcb_info.json")), "tcbInfo");
            bytes memory qeId = Pem.member(vm.readFileBinary(string.concat(d, "/qe_identity.json")), "enclaveIdentity");
            TcbInfo.Eval memory e = eh.evaluate(c.quote, info, qeId, f);
            vm.assertEq(
                keccak256(bytes(TcbInfo.statusName(e.status))), keccak256(bytes(want)), string.concat(c.dir, ": ", want)
            );
            string[] memory adv = vm.parseJsonStringArray(cases, string.concat(k, ".advisories"));
            vm.assertEq(e.advisories.length, adv.length, "advisories");
            for (uint256 a = 0; a < adv.length; a++) {
                vm.assertEq(e.advisories[a], bytes32(bytes(adv[a])), adv[a]);
            }
            checked++;
        }
        vm.assertEq(checked, 7, "cases evaluated");
    }

    function mismatch(
        EvalOnly ep,
        TcbInfo.Subject memory s,
        TcbInfo.Info memory i,
        TcbInfo.QeIdentity memory e,
        string memory why
    ) internal {
        vm.expectRevert(abi.encodeWithSelector(TcbInfo.TcbMismatch.selector, why));
        ep.evaluate(s, i, e);
    }

    /// As tests/attest/dcap_test.c's test_tcb_binding_checks, on chain.
    function test_tcbBindingChecks() public {
        Case memory c = load(3); // tdx-v4-dcapqvl
        DcapVerifier v = deploy(c);
        (PckExt.Fields memory f,) = platform(v, c);
        string memory d = string.concat("../tests/vectors/", c.dir);
        EvalOnly ep = new EvalOnly();
        (TcbInfo.Subject memory s, TcbInfo.Info memory i, TcbInfo.QeIdentity memory e) = new EvalParts()
            .parts(
                c.quote,
                Pem.member(vm.readFileBinary(string.concat(d, "/tcb_info.json")), "tcbInfo"),
                Pem.member(vm.readFileBinary(string.concat(d, "/qe_identity.json")), "enclaveIdentity"),
                f
            );
        vm.assertEq(uint256(ep.evaluate(s, i, e).status), TcbInfo.UP_TO_DATE, "as is");
        i.fmspc ^= bytes6(uint48(1));
        mismatch(ep, s, i, e, "TCB Info FMSPC does not match the PCK certificate");
        i.fmspc ^= bytes6(uint48(1));
        i.pceId ^= bytes2(0x0100);
        mismatch(ep, s, i, e, "TCB Info PCE-ID does not match the PCK certificate");
        i.pceId ^= bytes2(0x0100);
        e.mrsigner ^= bytes32(uint256(1) << 255);
        mismatch(ep, s, i, e, "QE report MRSIGNER does not match QE Identity");
        e.mrsigner ^= bytes32(uint256(1) << 255);
        e.isvprodid++;
        mismatch(ep, s, i, e, "QE report ISVPRODID does not match QE Identity");
        e.isvprodid--;
        // this quote's module is major version 1 (TEE TCB SVN 06 01 ...): identity TDX_01
        vm.assertEq(i.modules[1].id, bytes32("TDX_01"), "TDX_01");
        i.modules[1].mrsigner[0] ^= 0x01;
        mismatch(ep, s, i, e, "TDX module MRSIGNERSEAM does not match TCB Info");
        i.modules[1].mrsigner[0] ^= 0x01;
        i.modules[1].attributes ^= bytes8(uint64(1));
        mismatch(ep, s, i, e, "TDX module attributes do not match TCB Info");
        i.modules[1].attributes ^= bytes8(uint64(1));
        // a QE whose ISVSVN is below every level: not supported; a revoked QE level wins
        for (uint256 k = 0; k < e.levels.length; k++) {
            e.levels[k].pcesvn = 0xffff;
        }
        vm.assertEq(uint256(ep.evaluate(s, i, e).status), TcbInfo.NOT_SUPPORTED, "QE below every level");
        e.levels[0].pcesvn = 0;
        e.levels[0].status = TcbInfo.REVOKED;
        vm.assertEq(uint256(ep.evaluate(s, i, e).status), TcbInfo.REVOKED, "revoked QE");
        // an out-of-date QE turns an up-to-date platform OutOfDate
        e.levels[0].status = TcbInfo.OUT_OF_DATE;
        vm.assertEq(uint256(ep.evaluate(s, i, e).status), TcbInfo.OUT_OF_DATE, "QE out of date");
        e.levels[0].status = TcbInfo.UP_TO_DATE;
        // a TDX module of major version 1: its identity's levels decide, components from index 2
        s.teeTcbSvn = bytes16(bytes.concat(bytes1(0x03), bytes1(0x01), bytes14(s.teeTcbSvn << 16)));
        vm.assertEq(uint256(ep.evaluate(s, i, e).module), TcbInfo.OUT_OF_DATE, "module 1 at SVN 3");
        vm.assertEq(uint256(ep.evaluate(s, i, e).status), TcbInfo.OUT_OF_DATE, "converged");
        s.teeTcbSvn = bytes16(bytes.concat(bytes1(0x04), bytes1(0x01), bytes14(s.teeTcbSvn << 16)));
        vm.assertEq(uint256(ep.evaluate(s, i, e).status), TcbInfo.UP_TO_DATE, "module 1 at SVN 4");
        s.teeTcbSvn = bytes16(bytes.concat(bytes1(0x04), bytes1(0x02), bytes14(s.teeTcbSvn << 16)));
        mismatch(ep, s, i, e, "TDX module version has no identity in TCB Info");
    }

    struct Signed {
        bytes body;
        bytes sig;
    }

    function signedJson(string memory dir, string memory file, bytes memory name)
        internal
        view
        returns (Signed memory x)
    {
        string memory path = string.concat("../tests/vectors/", dir, "/", file);
        string memory j = vm.readFile(path);
        x.body = Pem.member(bytes(j), name);
        x.sig = vm.parseBytes(string.concat("0x", vm.parseJsonString(j, ".signature")));
    }

    function partsOf(Case memory c) internal pure returns (DcapVerifier.QuoteParts memory q) {
        bytes memory b = c.quote;
        DcapQuote.Parts memory p = c.p;
        q.signedPart = slice(b, 0, p.signedEnd);
        q.sig = slice(b, p.sig, p.sig + 64);
        q.attKey = slice(b, p.attKey, p.attKey + 64);
        q.qeReport = slice(b, p.qeReport, p.qeReport + 384);
        q.qeReportSig = slice(b, p.qeReportSig, p.qeReportSig + 64);
        q.qeAuth = slice(b, p.qeAuth, p.qeAuthEnd);
    }

    /// Collateral, machine and enclave key through the contract, case by case, with the
    /// gas of each tier.
    function test_threeTiersOnRealEvidence() public {
        uint256 checked;
        for (uint256 i = 0; i < 8; i++) {
            if (tiers(i)) checked++;
        }
        vm.assertEq(checked, 7, "cases");
    }

    function tiers(uint256 i) internal returns (bool) {
        Case memory c = load(i);
        string memory want = vm.parseJsonString(cases, string.concat(".cases[", vm.toString(i), "].tcb_status"));
        if (keccak256(bytes(want)) == keccak256("missing collateral")) return false;
        DcapVerifier v = deploy(c);
        uint256[3] memory gas;
        gas[0] = collateral(v, c);
        DcapVerifier.QuoteParts memory q = partsOf(c);
        bytes memory infoEnc = cols[address(v)].encodeTcbInfo(signedJson(c.dir, "tcb_info.json", "tcbInfo").body);
        bytes memory qeEnc =
            cols[address(v)].encodeQeIdentity(signedJson(c.dir, "qe_identity.json", "enclaveIdentity").body);
        uint256 g = gasleft();
        (, TcbInfo.Eval memory e) = v.registerPlatform(c.leaf, q, infoEnc, qeEnc);
        gas[1] = g - gasleft();
        vm.assertEq(keccak256(bytes(TcbInfo.statusName(e.status))), keccak256(bytes(want)), c.dir);
        g = gasleft();
        try v.checkEnclave(q.signedPart, q.sig, q.attKey) returns (
            DcapQuote.Header memory, uint8 status, uint40, bool sim
        ) {
            vm.assertFalse(sim, "simulated");
            vm.assertFalse(debugBit(q.signedPart), "a debug enclave accepted");
            vm.assertEq(uint256(status), uint256(e.status), "record");
        } catch (bytes memory err) {
            vm.assertTrue(debugBit(q.signedPart), "refused though not a debug enclave");
            vm.assertEq(bytes4(err), DcapVerifier.DebugEnclave.selector, "only a debug enclave is refused");
        }
        if (debugBit(q.signedPart)) simulatedAccepts(c, q);
        gas[2] = g - gasleft();
        emit log_gas(c.dir, gas[0], gas[1], gas[2]);
        return true;
    }

    /// Under a root pinned as a simulated TEE's (a devnet), a debug enclave passes and
    /// the verifier says it is simulated.
    function simulatedAccepts(Case memory c, DcapVerifier.QuoteParts memory q) internal {
        DcapVerifier v = deploy(c, true);
        collateral(v, c);
        bytes memory infoEnc = cols[address(v)].encodeTcbInfo(signedJson(c.dir, "tcb_info.json", "tcbInfo").body);
        bytes memory qeEnc =
            cols[address(v)].encodeQeIdentity(signedJson(c.dir, "qe_identity.json", "enclaveIdentity").body);
        v.registerPlatform(c.leaf, q, infoEnc, qeEnc);
        (,,, bool sim) = v.checkEnclave(q.signedPart, q.sig, q.attKey);
        vm.assertTrue(sim, "simulated");
    }

    /// The debug bit read straight from the bytes (SGX ATTRIBUTES.DEBUG, flags bit 1 at
    /// body offset 48; TDX TD_ATTRIBUTES.DEBUG, bit 0 at body offset 120).
    function debugBit(bytes memory s) internal pure returns (bool) {
        uint256 body = uint8(s[0]) == 5 ? 54 : 48;
        if (uint8(s[4]) == 0x81) return uint8(s[body + 120]) & 1 != 0;
        return uint8(s[body + 48]) & 2 != 0;
    }

    /// TCB Info and QE Identity submitted; the TCB Info's gas.
    function collateral(DcapVerifier v, Case memory c) internal returns (uint256 gInfo) {
        Signed memory info = signedJson(c.dir, "tcb_info.json", "tcbInfo");
        Signed memory qe = signedJson(c.dir, "qe_identity.json", "enclaveIdentity");
        bytes memory signer =
            Pem.cert(vm.readFileBinary(string.concat("../tests/vectors/", c.dir, "/tcb_info_issuer_chain.pem")), 0);
        uint256 g = gasleft();
        cols[address(v)].addTcbInfo(info.body, info.sig, signer);
        gInfo = g - gasleft();
        cols[address(v)].addQeIdentity(qe.body, qe.sig, signer);
    }

    /// The verifier's key for this quote's platform record (attestation key and TDX module).
    function platformKeyOf(DcapVerifier v, DcapVerifier.QuoteParts memory q) internal view returns (bytes32) {
        bytes memory s = q.signedPart;
        bytes32 module;
        if (uint8(s[4]) == 0x81) {
            uint256 b = uint8(s[0]) == 5 ? 54 : 48;
            module = keccak256(bytes.concat(slice(s, b, b + 16), slice(s, b + 64, b + 120)));
        }
        return v.platformKey(q.attKey, module);
    }

    function keyedByModule(DcapVerifier v, bytes memory attKey, bytes32 key) internal view {
        (uint40 none,,,,,,) = v.platforms(keccak256(attKey));
        vm.assertEq(uint256(none), 0, "kept per TDX module, not per key alone");
        vm.assertTrue(v.platformKey(attKey, bytes32(0)) != key, "another module, another record");
    }

    event log_gas(string dir, uint256 tcbInfo, uint256 platform, uint256 enclaveKey);

    function test_tierRefusals() public {
        Case memory c = load(3); // tdx-v4-dcapqvl
        DcapVerifier v = deploy(c);
        Signed memory info = signedJson(c.dir, "tcb_info.json", "tcbInfo");
        Signed memory qe = signedJson(c.dir, "qe_identity.json", "enclaveIdentity");
        bytes memory signer =
            Pem.cert(vm.readFileBinary(string.concat("../tests/vectors/", c.dir, "/tcb_info_issuer_chain.pem")), 0);
        bytes memory bad = bytes.concat(info.body);
        bad[40] ^= 0x01;
        vm.expectRevert(DcapCollateral.BadCollateralSignature.selector);
        cols[address(v)].addTcbInfo(bad, info.sig, signer);
        vm.expectRevert(DcapPki.NotATcbSigner.selector);
        cols[address(v)].addTcbInfo(info.body, info.sig, c.ca);
        DcapVerifier.QuoteParts memory q = partsOf(c);
        bytes memory infoEnc = cols[address(v)].encodeTcbInfo(info.body);
        bytes memory qeEnc = cols[address(v)].encodeQeIdentity(qe.body);
        vm.expectRevert(DcapVerifier.UnknownCollateral.selector);
        v.registerPlatform(c.leaf, q, infoEnc, qeEnc);
        vm.assertFalse(cols[address(v)].holdsTcbInfo(info.body), "not held yet");
        cols[address(v)].addTcbInfo(info.body, info.sig, signer);
        cols[address(v)].addQeIdentity(qe.body, qe.sig, signer);
        vm.assertTrue(cols[address(v)].holdsTcbInfo(info.body), "held");
        vm.assertTrue(cols[address(v)].holdsQeIdentity(qe.body), "held");
        vm.expectRevert(DcapVerifier.CollateralMismatch.selector);
        v.registerPlatform(c.leaf, q, qeEnc, qeEnc);
        bytes32 key = platformKeyOf(v, q);
        vm.expectRevert(abi.encodeWithSelector(DcapVerifier.UnknownPlatform.selector, key));
        v.checkEnclave(q.signedPart, q.sig, q.attKey);
        v.registerPlatform(c.leaf, q, infoEnc, qeEnc);
        bytes memory flipped = bytes.concat(q.signedPart);
        flipped[DcapQuote.TD_MRTD + 48] ^= 0x01;
        vm.expectRevert(DcapVerifier.BadQuoteSignature.selector);
        v.checkEnclave(flipped, q.sig, q.attKey);
        (uint40 until,,,,,,) = v.platforms(key);
        keyedByModule(v, q.attKey, key);
        vm.warp(uint256(until) + 1);
        vm.expectRevert(abi.encodeWithSelector(DcapVerifier.PlatformExpired.selector, until));
        v.checkEnclave(q.signedPart, q.sig, q.attKey);
        // collateral past its next update is refused
        (, uint64 next,,) = cols[address(v)].tcbInfos(keccak256(abi.encodePacked(true, c.fmspc)));
        vm.warp(uint256(next) + 1);
        vm.expectRevert();
        cols[address(v)].addTcbInfo(info.body, info.sig, signer);
    }

    /// Revocation by proof with the real CRLs: the PCK CA's CRL revokes each serial it
    /// lists (by index), the root's CRL (empty) revokes nothing, and a revoked PCK or CA
    /// takes its platform record with it.
    function test_revocationByProof() public {
        Case memory c = load(3); // tdx-v4-dcapqvl: its PCK CRL lists 44 serials
        DcapVerifier v = deploy(c);
        string memory d = string.concat("../tests/vectors/", c.dir);
        bytes memory crl = vm.readFileBinary(string.concat(d, "/pck_crl.der"));
        bytes32 caSubject = qs.subject(c.ca);
        bytes32 id = pkis[address(v)].revoke(crl, 0);
        vm.assertTrue(pkis[address(v)].revoked(id), "entry 0 revoked");
        vm.assertTrue(pkis[address(v)].revoke(crl, 43) != id, "entry 43, another serial");
        vm.expectRevert(); // past the last entry
        pkis[address(v)].revoke(crl, 44);
        bytes memory bad = bytes.concat(crl);
        bad[300] ^= 0x01;
        vm.expectRevert(DcapPki.BadCrlSignature.selector);
        pkis[address(v)].revoke(bad, 0);
        bytes memory rootCrl = vm.readFileBinary(string.concat(d, "/root_ca_crl.der"));
        vm.expectRevert(); // no entries
        pkis[address(v)].revoke(rootCrl, 0);
        vm.assertEq(caSubject, qs.subject(c.ca), "");
    }

    /// The platform of a quote, registered, then its PCK revoked (written as a CRL would).
    function test_revokedPlatform() public {
        Case memory c = load(3);
        DcapVerifier v = deploy(c);
        bytes32 caSubject = qs.subject(c.ca);
        Signed memory info = signedJson(c.dir, "tcb_info.json", "tcbInfo");
        Signed memory qe = signedJson(c.dir, "qe_identity.json", "enclaveIdentity");
        collateral(v, c);
        DcapVerifier.QuoteParts memory q = partsOf(c);
        bytes memory infoEnc = cols[address(v)].encodeTcbInfo(info.body);
        bytes memory qeEnc = cols[address(v)].encodeQeIdentity(qe.body);
        v.registerPlatform(c.leaf, q, infoEnc, qeEnc);
        v.checkEnclave(q.signedPart, q.sig, q.attKey);
        (,,,,, bytes32 pckId, bytes32 ca) = v.platforms(platformKeyOf(v, q));
        vm.assertEq(ca, caSubject, "issuer recorded");
        // its CA dropped (as revoke() does for a CA a root CRL lists): the record goes too
        bytes32 notAfterSlot = bytes32(uint256(keccak256(abi.encode(ca, uint256(1)))) + 2);
        bytes32 held = vm.load(address(pkis[address(v)]), notAfterSlot);
        vm.store(address(pkis[address(v)]), notAfterSlot, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(DcapVerifier.Revoked.selector, ca));
        v.checkEnclave(q.signedPart, q.sig, q.attKey);
        vm.store(address(pkis[address(v)]), notAfterSlot, held);
        v.checkEnclave(q.signedPart, q.sig, q.attKey);
        vm.store(address(pkis[address(v)]), keccak256(abi.encode(pckId, uint256(REVOKED_SLOT))), bytes32(uint256(1)));
        vm.assertTrue(pkis[address(v)].revoked(pckId), "slot");
        vm.expectRevert(abi.encodeWithSelector(DcapVerifier.Revoked.selector, pckId));
        v.checkEnclave(q.signedPart, q.sig, q.attKey);
        vm.expectRevert(abi.encodeWithSelector(DcapVerifier.Revoked.selector, pckId));
        v.registerPlatform(c.leaf, q, infoEnc, qeEnc);
    }

    uint256 constant REVOKED_SLOT = 2; // DcapPki.revoked (forge inspect DcapPki storage-layout)

    /// Two real TCB Infos of one FMSPC and evaluation data number, issued 2026-02-01 and
    /// 2026-02-18: once the later is held, the earlier (with its earlier next update)
    /// is refused; the later replaces the earlier.
    function test_collateralRollback() public {
        Case memory c = load(6); // tdx-v5-dcapqvl-notcblevel, 2026-02-18
        DcapVerifier v = deploy(c);
        DcapCollateral col = cols[address(v)];
        bytes memory signer =
            Pem.cert(vm.readFileBinary(string.concat("../tests/vectors/", c.dir, "/tcb_info_issuer_chain.pem")), 0);
        Signed memory later = signedJson(c.dir, "tcb_info.json", "tcbInfo");
        Signed memory earlier = signedJson("intel-dcap/tdx-v5-gotdxguest", "tcb_info.json", "tcbInfo");
        col.addTcbInfo(earlier.body, earlier.sig, signer);
        col.addTcbInfo(later.body, later.sig, signer);
        vm.expectRevert(abi.encodeWithSelector(DcapCollateral.CollateralRollback.selector, 18, 18));
        col.addTcbInfo(earlier.body, earlier.sig, signer);
        (bytes32 digest,,,) = col.tcbInfos(keccak256(abi.encodePacked(true, c.fmspc)));
        vm.assertEq(digest, keccak256(col.encodeTcbInfo(later.body)), "the later one held");
    }
}
