import XCTest
@testable import Kernel

final class Base64Tests: XCTestCase {
    func testRFC4648Vectors() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, coded) in vectors {
            XCTAssertEqual(Base64.encode(Array(plain.utf8)), coded)
            XCTAssertEqual(Base64.decode(coded), Array(plain.utf8))
        }
    }

    func testGarbageIsRefused() {
        for bad in ["Zg=", "Z===", "Zm9v!", "Zg==Zg==", "Z=g="] { XCTAssertNil(Base64.decode(bad), bad) }
    }
}
