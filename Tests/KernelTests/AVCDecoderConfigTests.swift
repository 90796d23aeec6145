import XCTest
@testable import Kernel

final class AVCDecoderConfigTests: XCTestCase {
    // Parameter sets produced by ffmpeg 5.1 / libx264 from `testsrc` (see each case for the options).
    static let high640SPS = hexBytes("6764001eacd940a02ff97011000003000100000300320f162d96")  // -pix_fmt yuv420p
    static let high640PPS = hexBytes("68ebe3cb22c0")
    static let baseline720SPS = hexBytes("6742c01fd9005005bb011000000300100000030320f1832480")  // -profile:v baseline
    static let main480SPS = hexBytes("674d401eeca06c1ef37808800000030080000019078b16cb")  // 854x480 -profile:v main
    static let high1080SPS = hexBytes("67640028acd940780227e5c044000003000400000300c83c60c658")  // 1920x1080, coded 1088
    static let interlaced1080SPS = hexBytes("67640028acd94078044fde0220000003002000000643e2c5b2c0")  // -x264-params interlaced=1
    static let high444SPS = hexBytes("67f4000d919b282c12d808800000030080000019078a14cb")  // 352x288 -pix_fmt yuv444p
    static let high422SPS = hexBytes("677a000dbcd94141fb011000000300100000030320f1429960")  // 320x240 -pix_fmt yuv422p
    static let high10SPS = hexBytes("676e000da6cd94141fb011000003000100000300320f142996")  // 320x240 -pix_fmt yuv420p10le
    static let odd642SPS = hexBytes("6764001eacd940a42fe224c044000003000400000300c83c58b658")  // 642x362

    func testRealX264SPS() throws {
        let cases: [([UInt8], UInt8, UInt8, Int, Int)] = [
            (Self.high640SPS, 100, 30, 640, 360),
            (Self.baseline720SPS, 66, 31, 1280, 720),
            (Self.main480SPS, 77, 30, 854, 480),
            (Self.high1080SPS, 100, 40, 1920, 1080),
            (Self.interlaced1080SPS, 100, 40, 1920, 1080),
            (Self.high444SPS, 244, 13, 352, 288),
            (Self.high422SPS, 122, 13, 320, 240),
            (Self.high10SPS, 110, 13, 320, 240),
            (Self.odd642SPS, 100, 30, 642, 362),
        ]
        for (bytes, profile, level, width, height) in cases {
            let s = try H264SPS.parse(bytes)
            XCTAssertEqual(s.profileIdc, profile)
            XCTAssertEqual(s.levelIdc, level)
            XCTAssertEqual(s.width, width, "profile \(profile)")
            XCTAssertEqual(s.height, height, "profile \(profile)")
        }
        XCTAssertFalse(try H264SPS.parse(Self.interlaced1080SPS).frameMbsOnly)
        XCTAssertTrue(try H264SPS.parse(Self.high1080SPS).frameMbsOnly)
        XCTAssertEqual(try H264SPS.parse(Self.high444SPS).chromaFormatIdc, 3)
        XCTAssertEqual(try H264SPS.parse(Self.high422SPS).chromaFormatIdc, 2)
        XCTAssertEqual(try H264SPS.parse(Self.high10SPS).bitDepthLuma, 10)
    }

    /// A hand-written High-profile SPS exercising what x264 does not emit by default: scaling
    /// lists (including one that ends early with a zero scale), pic_order_cnt_type 1, field
    /// coding with cropping, and emulation-prevention bytes inside the fields we need.
    func testCraftedSPSWithScalingListsAndEmulationPrevention() throws {
        var w = BitWriter()
        w.bits(8, 0x67)
        w.bits(8, 100)  // profile_idc High
        w.bits(8, 0)
        w.bits(8, 41)  // level_idc
        w.ue(0)  // seq_parameter_set_id
        w.ue(1)  // chroma_format_idc 4:2:0
        w.ue(0)  // bit depths
        w.ue(0)
        w.bit(false)
        w.bit(true)  // seq_scaling_matrix_present_flag
        for i in 0..<8 {
            let present = i == 0 || i == 6
            w.bit(present)
            // First list: 16 explicit deltas. Second: one delta to scale 0, which ends the list.
            if present { if i == 0 { for _ in 0..<16 { w.se(3) } } else { w.se(-8) } }
        }
        w.ue(0)  // log2_max_frame_num_minus4
        w.ue(1)  // pic_order_cnt_type 1
        w.bit(false)
        w.se(-2_147_483_647)  // offset_for_non_ref_pic at its minimum: 31 zero bits, escaped on the wire
        w.se(0)
        w.ue(2)  // num_ref_frames_in_pic_order_cnt_cycle
        w.se(1)
        w.se(-1)
        w.ue(4)  // max_num_ref_frames
        w.bit(false)
        w.ue(119)  // 120 macroblocks wide: 1920
        w.ue(33)  // 34 map units, field coded: 68 macroblocks high, 1088
        w.bit(false)  // frame_mbs_only_flag
        w.bit(true)  // mb_adaptive_frame_field_flag
        w.bit(true)  // direct_8x8_inference_flag
        w.bit(true)  // frame_cropping_flag
        w.ue(0)
        w.ue(0)
        w.ue(0)
        w.ue(2)  // bottom: 2 units of 4 lines (4:2:0, field coded) = 8 lines
        w.bit(false)  // vui_parameters_present_flag
        w.bit(true)  // rbsp_stop_one_bit
        let rbsp = w.bytes
        let escaped = addingEmulationPrevention(rbsp)
        XCTAssertGreaterThan(escaped.count, rbsp.count, "fixture must contain emulation prevention")
        XCTAssertEqual(H264SPS.removingEmulationPrevention(escaped[...]), rbsp)
        let s = try H264SPS.parse(escaped)
        XCTAssertEqual(s.width, 1920)
        XCTAssertEqual(s.height, 1080)
        XCTAssertFalse(s.frameMbsOnly)
        XCTAssertEqual(s.levelIdc, 41)
    }

    func testCropping444UsesOnePixelUnits() throws {
        var w = BitWriter()
        w.bits(8, 0x67)
        w.bits(8, 244)
        w.bits(8, 0)
        w.bits(8, 30)
        w.ue(0)
        w.ue(3)  // chroma_format_idc 4:4:4
        w.bit(false)  // separate_colour_plane_flag
        w.ue(0)
        w.ue(0)
        w.bit(false)
        w.bit(false)  // no scaling matrix
        w.ue(0)
        w.ue(2)  // pic_order_cnt_type 2
        w.ue(1)
        w.bit(false)
        w.ue(9)  // 160 px
        w.ue(5)  // 96 px
        w.bit(true)  // frame_mbs_only_flag
        w.bit(true)
        w.bit(true)
        w.ue(1)
        w.ue(2)  // 3 px off the width
        w.ue(0)
        w.ue(1)  // 1 px off the height
        w.bit(false)
        w.bit(true)
        let s = try H264SPS.parse(w.bytes)
        XCTAssertEqual(s.width, 157)
        XCTAssertEqual(s.height, 95)
    }

    func testEmulationPreventionRemoval() {
        XCTAssertEqual(H264SPS.removingEmulationPrevention([0, 0, 3, 1, 0, 0, 3, 0, 0, 3]), [0, 0, 1, 0, 0, 0, 0])
        XCTAssertEqual(H264SPS.removingEmulationPrevention([0, 3, 0, 0, 0, 3]), [0, 3, 0, 0, 0])
    }

    func testRecordParse() throws {
        let record = [0x01, 0x64, 0x00, 0x1E, 0xFF, 0xE1, 0x00, UInt8(Self.high640SPS.count)] + Self.high640SPS
            + [0x01, 0x00, UInt8(Self.high640PPS.count)] + Self.high640PPS
        let slice = ([0x17, 0x00, 0, 0, 0] + record)[5...]
        let avc = try AVCDecoderConfig.parse(slice)
        XCTAssertEqual(avc.version, 1)
        XCTAssertEqual(avc.profileIndication, 100)
        XCTAssertEqual(avc.levelIndication, 30)
        XCTAssertEqual(avc.nalLengthSize, 4)
        XCTAssertEqual(avc.sps, [Self.high640SPS])
        XCTAssertEqual(avc.pps, [Self.high640PPS])
        XCTAssertEqual(avc.width, 640)
        XCTAssertEqual(avc.height, 360)
        XCTAssertEqual(avc.profileName, "High")
        XCTAssertEqual(avc.levelName, "3")
        XCTAssertEqual(avc.bytes(), record)
        // Trailing high-profile extension bytes are tolerated.
        XCTAssertEqual(try AVCDecoderConfig.parse(record + [0xFD, 0xF8, 0xF8, 0x00]).sps, avc.sps)
        var two = record
        two[4] = 0xFD
        XCTAssertEqual(try AVCDecoderConfig.parse(two).nalLengthSize, 2)
    }

    func testBuiltRecordRoundTrips() throws {
        let built = AVCDecoderConfig(sps: [Self.baseline720SPS], pps: [hexBytes("68cb83cb20")], nalLengthSize: 4)
        XCTAssertEqual(built.profileName, "Baseline")
        XCTAssertEqual(built.levelName, "3.1")
        XCTAssertEqual(built.width, 1280)
        XCTAssertEqual(built.height, 720)
        XCTAssertEqual(try AVCDecoderConfig.parse(built.bytes()), built)
    }

    func testNames() {
        func config(_ profile: UInt8, _ level: UInt8) -> AVCDecoderConfig {
            var c = AVCDecoderConfig(sps: [], pps: [])
            c.profileIndication = profile
            c.levelIndication = level
            return c
        }
        let profiles: [(UInt8, String)] = [(66, "Baseline"), (77, "Main"), (88, "Extended"), (100, "High"), (110, "High(10)"),
                                           (122, "High(422)"), (144, "High(444)"), (244, "High(444+Predictive)"), (44, "Other")]
        for (p, name) in profiles { XCTAssertEqual(config(p, 30).profileName, name) }
        let levels: [(UInt8, String)] = [(10, "1"), (11, "1.1"), (13, "1.3"), (30, "3"), (31, "3.1"), (40, "4"), (42, "4.2"), (51, "5.1")]
        for (l, name) in levels { XCTAssertEqual(config(100, l).levelName, name) }
    }

    func testUnparseableSPSGivesZeroSizeNotAnError() throws {
        let record: [UInt8] = [0x01, 0x64, 0x00, 0x1E, 0xFF, 0xE1, 0x00, 0x02, 0x67, 0xFF, 0x01, 0x00, 0x01, 0x68]
        let avc = try AVCDecoderConfig.parse(record)
        XCTAssertNil(avc.parsedSPS)
        XCTAssertEqual(avc.width, 0)
        XCTAssertEqual(avc.height, 0)
        XCTAssertEqual(avc.profileName, "High")
    }

    func testTruncatedAndEmptyRecordsThrow() {
        let record = [0x01, 0x64, 0x00, 0x1E, 0xFF, 0xE1, 0x00, UInt8(Self.high640SPS.count)] + Self.high640SPS
            + [0x01, 0x00, UInt8(Self.high640PPS.count)] + Self.high640PPS
        for n in 0..<record.count {
            XCTAssertThrowsError(try AVCDecoderConfig.parse(record.prefix(n)), "prefix \(n)") { XCTAssertTrue($0 is KernelError) }
        }
        XCTAssertThrowsError(try AVCDecoderConfig.parse([0x01, 0x64, 0, 0x1E, 0xFF, 0xE0, 0x00]))  // no SPS
        XCTAssertThrowsError(try AVCDecoderConfig.parse([0x01, 0x64, 0, 0x1E, 0xFF, 0xE1, 0x00, 0x01, 0x67, 0x00]))  // no PPS
        XCTAssertThrowsError(try AVCDecoderConfig.parse([0x01, 0x64, 0, 0x1E, 0xFF, 0xE1, 0xFF, 0xFF, 0x67]))  // length past end
    }

    func testSPSGarbageNeverTraps() {
        XCTAssertThrowsError(try H264SPS.parse([0x68, 0x64, 0, 30]))  // a PPS
        XCTAssertThrowsError(try H264SPS.parse([UInt8]()))
        // A prefix either lacks bits we need (throws) or holds them all (same answer).
        let full = try? H264SPS.parse(Self.high1080SPS)
        XCTAssertNotNil(full)
        for n in 0..<Self.high1080SPS.count {
            if let s = try? H264SPS.parse(Self.high1080SPS.prefix(n)) { XCTAssertEqual(s, full, "prefix \(n)") }
        }
        XCTAssertThrowsError(try H264SPS.parse(Self.high1080SPS.prefix(8)))
        var rng = FastRandom(seed: 42)
        for _ in 0..<20000 {
            var b = rng.bytes(Int.random(in: 1...40, using: &rng))
            b[0] = 0x67
            if let s = try? H264SPS.parse(b) {
                XCTAssertGreaterThan(s.width, 0)
                XCTAssertGreaterThan(s.height, 0)
            }
            _ = try? AVCDecoderConfig.parse(b)
        }
    }
}
