/// The fields of an H.264 sequence parameter set (ITU-T H.264 7.3.2.1.1) that a server
/// reports: profile, level and the displayed picture size after frame cropping.
public struct H264SPS: Equatable, Sendable {
    public var profileIdc: UInt8
    public var levelIdc: UInt8
    /// 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4.
    public var chromaFormatIdc: Int
    public var bitDepthLuma: Int
    /// False for interlaced (field or MBAFF) coding: each map unit is then two macroblocks high.
    public var frameMbsOnly: Bool
    /// Displayed size in pixels: the coded macroblock size minus the cropping window.
    public var width: Int
    public var height: Int

    /// Profiles whose SPS carries chroma_format_idc, bit depths and scaling matrices (7.3.2.1.1).
    private static let highProfiles: Set<UInt8> = [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]
    /// Bounds far above any real stream (8192x4320 is 512x270 macroblocks): they keep garbage
    /// from producing absurd sizes, and the arithmetic below from overflowing.
    private static let maxMacroblocks = 1 << 16

    /// Parses an SPS NAL unit (header byte included, emulation-prevention bytes still in place).
    /// Throws `KernelError` when the NAL is not an SPS, is truncated or describes no picture.
    public static func parse(_ nal: ArraySlice<UInt8>) throws -> H264SPS {
        var r = BitReader(removingEmulationPrevention(nal))
        let header = try r.bits(8)
        guard header & 0x1F == 7 else { throw KernelError.invalid("NAL type \(header & 0x1F) is not an SPS") }
        let profileIdc = UInt8(try r.bits(8))
        try r.skip(8)  // constraint_set0..5 flags and reserved_zero_2bits
        let levelIdc = UInt8(try r.bits(8))
        _ = try r.ue()  // seq_parameter_set_id
        var chromaFormatIdc = 1
        var separateColourPlane = false
        var bitDepthLuma = 8
        if highProfiles.contains(profileIdc) {
            chromaFormatIdc = try r.ue()
            guard chromaFormatIdc <= 3 else { throw KernelError.invalid("SPS chroma_format_idc \(chromaFormatIdc)") }
            if chromaFormatIdc == 3 { separateColourPlane = try r.flag() }
            bitDepthLuma = try r.ue() + 8
            _ = try r.ue()  // bit_depth_chroma_minus8
            try r.skip(1)  // qpprime_y_zero_transform_bypass_flag
            if try r.flag() {  // seq_scaling_matrix_present_flag
                for i in 0..<(chromaFormatIdc == 3 ? 12 : 8) {
                    if try r.flag() { try skipScalingList(&r, size: i < 6 ? 16 : 64) }
                }
            }
        }
        _ = try r.ue()  // log2_max_frame_num_minus4
        let picOrderCntType = try r.ue()
        if picOrderCntType == 0 {
            _ = try r.ue()  // log2_max_pic_order_cnt_lsb_minus4
        } else if picOrderCntType == 1 {
            try r.skip(1)  // delta_pic_order_always_zero_flag
            _ = try r.se()  // offset_for_non_ref_pic
            _ = try r.se()  // offset_for_top_to_bottom_field
            let cycle = try r.ue()
            guard cycle <= 255 else { throw KernelError.invalid("SPS num_ref_frames_in_pic_order_cnt_cycle \(cycle)") }
            for _ in 0..<cycle { _ = try r.se() }
        } else if picOrderCntType != 2 {
            throw KernelError.invalid("SPS pic_order_cnt_type \(picOrderCntType)")
        }
        _ = try r.ue()  // max_num_ref_frames
        try r.skip(1)  // gaps_in_frame_num_value_allowed_flag
        let widthMbs = try r.ue() + 1
        let heightMapUnits = try r.ue() + 1
        let frameMbsOnly = try r.flag()
        if !frameMbsOnly { try r.skip(1) }  // mb_adaptive_frame_field_flag
        try r.skip(1)  // direct_8x8_inference_flag
        var crop = (left: 0, right: 0, top: 0, bottom: 0)
        if try r.flag() {
            crop = (try r.ue(), try r.ue(), try r.ue(), try r.ue())
        }
        guard widthMbs <= maxMacroblocks && heightMapUnits <= maxMacroblocks else {
            throw KernelError.invalid("SPS picture of \(widthMbs)x\(heightMapUnits) macroblocks")
        }
        // Crop units depend on chroma subsampling and field coding (equations 7-19 to 7-22).
        let fieldFactor = frameMbsOnly ? 1 : 2
        let chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc
        let cropUnitX = chromaArrayType == 0 || chromaArrayType == 3 ? 1 : 2
        let cropUnitY = (chromaArrayType == 1 ? 2 : 1) * fieldFactor
        let codedWidth = widthMbs * 16
        let codedHeight = heightMapUnits * 16 * fieldFactor
        let cropX = (crop.left + crop.right) * cropUnitX
        let cropY = (crop.top + crop.bottom) * cropUnitY
        guard cropX < codedWidth && cropY < codedHeight else {
            throw KernelError.invalid("SPS cropping \(cropX)x\(cropY) of a \(codedWidth)x\(codedHeight) picture")
        }
        return H264SPS(profileIdc: profileIdc, levelIdc: levelIdc, chromaFormatIdc: chromaFormatIdc, bitDepthLuma: bitDepthLuma,
                       frameMbsOnly: frameMbsOnly, width: codedWidth - cropX, height: codedHeight - cropY)
    }

    /// Parses an SPS NAL unit held in a whole array.
    public static func parse(_ nal: [UInt8]) throws -> H264SPS {
        try parse(nal[...])
    }

    /// scaling_list() (7.3.2.1.1.1): only parsed to reach the fields after it.
    private static func skipScalingList(_ r: inout BitReader, size: Int) throws {
        var last = 8
        var next = 8
        for _ in 0..<size where next != 0 {
            let delta = try r.se()
            guard (-128...127).contains(delta) else { throw KernelError.invalid("SPS scaling delta \(delta)") }
            next = (last + delta + 256) % 256
            last = next == 0 ? last : next
        }
    }

    /// The RBSP of a NAL unit: every 0x03 that follows two zero bytes is an emulation-prevention
    /// byte (7.4.1), inserted so the payload never looks like a start code, and is dropped.
    public static func removingEmulationPrevention(_ nal: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(nal.count)
        var zeros = 0
        for b in nal {
            if zeros >= 2 && b == 0x03 {
                zeros = 0
                continue
            }
            zeros = b == 0 ? zeros + 1 : 0
            out.append(b)
        }
        return out
    }
}
