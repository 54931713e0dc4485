import Foundation
import SwitchboardAdapterAPI
import Testing

/// One keyed HMAC, copied for every request: each body still gets its own code.
@Suite struct HMACKeyTests {
    @Test func aReusedKeyMatchesTheStandardVectorsAndEachBody() {
        // RFC 4231, test case 2.
        let key = HMACKey("Jefe")
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        #expect(key.sha256Hex(Array("what do ya want for nothing?".utf8)) == expected)
        // The same key again, after other bodies: nothing of them stays in it.
        for n in 0..<50 { _ = key.sha256Hex(Array("body \(n)".utf8)) }
        #expect(key.sha256Hex(Array("what do ya want for nothing?".utf8)) == expected)
        #expect(Signatures.hmacSHA256Hex(key: "Jefe", Array("body 7".utf8)) == key.sha256Hex(Array("body 7".utf8)))
    }

    @Test func verifiesOnlyItsOwnBodiesSignature() {
        let key = HMACKey("secret")
        let body = Array(#"{"id":"m-1","text":"hola"}"#.utf8)
        let signature = key.sha256Hex(body)
        #expect(key.verifySHA256Hex(body: body, signature: signature))
        #expect(key.verifySHA256Hex(body: body, signature: "sha256=" + signature.uppercased(), prefix: "sha256="))
        #expect(!key.verifySHA256Hex(body: body + [0x20], signature: signature))
        #expect(!key.verifySHA256Hex(body: body, signature: String(signature.dropLast(2))))
        #expect(!key.verifySHA256Hex(body: body, signature: nil))
        #expect(!HMACKey("other").verifySHA256Hex(body: body, signature: signature))
    }
}
