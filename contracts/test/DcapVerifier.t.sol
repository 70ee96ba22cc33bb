// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TestBase} from "./utils/Vm.sol";
import {Pem} from "./utils/Pem.sol";
import {DcapVerifier} from "../src/DcapVerifier.sol";
import {DcapQuote} from "../src/lib/DcapQuote.sol";
import {PckExt} from "../src/lib/PckExt.sol";
import {X509} from "../src/lib/X509.sol";

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
        uint256 at;
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
        c.at = Pem.time(vm.parseJsonString(cases, string.concat(k, ".at")));
        c.fmspc = bytes6(vm.parseBytes(string.concat("0x", vm.parseJsonString(cases, string.concat(k, ".fmspc")))));
        c.quote = vm.readFileBinary(string.concat("../tests/vectors/", c.dir, "/quote.bin"));
        (, c.p) = qs.split(c.quote);
        bytes memory pem = slice(c.quote, c.p.pckChain, c.p.pckChainEnd);
        c.leaf = Pem.cert(pem, 0);
        c.ca = Pem.cert(pem, 1);
        c.root = vm.readFileBinary("../tests/vectors/intel-dcap/roots/IntelSGXRootCA.der");
    }

    function deploy(Case memory c) internal returns (DcapVerifier v) {
        vm.warp(c.at);
        v = new DcapVerifier(qs.key(c.root));
        v.setRoot(c.root);
        v.addCa(c.ca);
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
            vm.assertTrue(until > c.at, "valid until later");
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
        vm.warp(c.at);
        DcapVerifier v = new DcapVerifier(keccak256("another root"));
        vm.expectRevert(DcapVerifier.NotTheRoot.selector);
        v.setRoot(c.root);
        v = new DcapVerifier(qs.key(c.root));
        vm.expectRevert(DcapVerifier.RootNotSet.selector);
        v.addCa(c.ca);
        v.setRoot(c.root);
        vm.expectRevert(DcapVerifier.RootAlreadySet.selector);
        v.setRoot(c.root);
        bytes memory bad = bytes.concat(c.ca); // a copy
        bad[bad.length - 5] ^= 0x01; // inside the signature
        vm.expectRevert(DcapVerifier.BadCertSignature.selector);
        v.addCa(bad);
        vm.expectRevert(abi.encodeWithSelector(DcapVerifier.UnknownIssuer.selector, qs.issuer(c.leaf)));
        v.addCa(c.leaf); // issued by the CA, not the root
        // the TCB Signing certificate: issued by the root, not a CA
        bytes memory tcbSigner =
            Pem.cert(vm.readFileBinary(string.concat("../tests/vectors/", c.dir, "/tcb_info_issuer_chain.pem")), 0);
        vm.expectRevert(DcapVerifier.NotACa.selector);
        v.addCa(tcbSigner);
        v.addCa(c.ca);
        (bytes32 x,, uint64 until) = v.cas(qs.subject(c.ca));
        vm.assertTrue(x != bytes32(0) && until > c.at, "CA stored");
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
        vm.warp(c.at);
        DcapVerifier v = new DcapVerifier(qs.key(c.root));
        v.setRoot(c.root); // its CA not submitted
        vm.expectRevert(abi.encodeWithSelector(DcapVerifier.UnknownIssuer.selector, qs.issuer(c.leaf)));
        this.platformOf(v, c);
    }

    function platformOf(DcapVerifier v, Case memory c) external view returns (PckExt.Fields memory f, uint64 until) {
        return platform(v, c);
    }
}

