import Foundation
import SafeTensors
import Tensors
import TestSupport
import XCTest

final class SafeTensorsTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try TestSupport.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// A file with a hand-written header, for malformed cases.
    func writeRaw(header: String, dataBytes: Int, name: String = "model.safetensors") throws -> URL {
        var data = Data()
        var length = UInt64(header.utf8.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(Data(header.utf8))
        data.append(Data(repeating: 0, count: dataBytes))
        let url = directory.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    func testRoundTripEveryDType() throws {
        let values = TestSupport.randomValues(6, seed: 5)
        let tensors = DType.allCases.map { (name: "t.\($0.rawValue)", tensor: TensorView.owned(values, shape: [2, 3], dtype: $0)) }
        let url = directory.appendingPathComponent("model.safetensors")
        try SafeTensorsWriter.write(tensors, metadata: ["format": "pt"], to: url)
        let file = try SafeTensorsFile(url: url)
        XCTAssertEqual(file.metadata["format"], "pt")
        for dtype in DType.allCases {
            let view = try file.tensor("t.\(dtype.rawValue)")
            XCTAssertEqual(view.shape, [2, 3])
            XCTAssertEqual(view.dtype, dtype)
            XCTAssertLessThanOrEqual(TestSupport.relativeError(view.toFloatArray(), values), dtype == .float32 ? 0 : 1e-2)
        }
    }

    func testTruncatedDataIsReportedWithTensorName() throws {
        _ = try writeRaw(header: #"{"w":{"dtype":"F32","shape":[4,4],"data_offsets":[0,64]}}"#, dataBytes: 32)
        XCTAssertThrowsError(try SafeTensorsFile(url: directory.appendingPathComponent("model.safetensors"))) { error in
            guard case SafeTensorsError.offsetsOutOfBounds(_, let tensor, _, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(tensor, "w")
            XCTAssertTrue("\(error)".contains("model.safetensors"))
        }
    }

    func testOffsetsOutsideTheFile() throws {
        let url = try writeRaw(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[1000,1004]}}"#, dataBytes: 4)
        XCTAssertThrowsError(try SafeTensorsFile(url: url)) { error in
            XCTAssertTrue("\(error)".contains("'w'"), "\(error)")
        }
    }

    func testShapeThatDisagreesWithByteCount() throws {
        let url = try writeRaw(header: #"{"w":{"dtype":"BF16","shape":[3],"data_offsets":[0,4]}}"#, dataBytes: 4)
        XCTAssertThrowsError(try SafeTensorsFile(url: url)) { error in
            guard case SafeTensorsError.sizeMismatch = error else { return XCTFail("\(error)") }
        }
    }

    func testUnknownDType() throws {
        let url = try writeRaw(header: #"{"w":{"dtype":"Q4_K","shape":[2],"data_offsets":[0,2]}}"#, dataBytes: 2)
        XCTAssertThrowsError(try SafeTensorsFile(url: url)) { error in
            XCTAssertEqual(error as? SafeTensorsError, .unknownDType(path: url.path, tensor: "w", dtype: "Q4_K"))
        }
    }

    func testKnownButUnsupportedDTypeFailsOnlyWhenUsed() throws {
        let url = try writeRaw(header: #"{"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, dataBytes: 8)
        let file = try SafeTensorsFile(url: url)
        XCTAssertThrowsError(try file.tensor("ids")) { error in
            guard case SafeTensorsError.unsupportedDType = error else { return XCTFail("\(error)") }
        }
    }

    func testHeaderLongerThanFileAndGarbage() throws {
        var data = Data()
        var length = UInt64(1 << 40).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(Data("{}".utf8))
        let url = directory.appendingPathComponent("model.safetensors")
        try data.write(to: url)
        XCTAssertThrowsError(try SafeTensorsFile(url: url)) { error in
            guard case SafeTensorsError.truncated = error else { return XCTFail("\(error)") }
        }
        try Data([1, 2, 3]).write(to: url)
        XCTAssertThrowsError(try SafeTensorsFile(url: url))
        let notJSON = try writeRaw(header: "{not json", dataBytes: 0)
        XCTAssertThrowsError(try SafeTensorsFile(url: notJSON)) { error in
            guard case SafeTensorsError.invalidHeader = error else { return XCTFail("\(error)") }
        }
    }

    /// Random bytes: the first 8 read as a length ≥ 2^63 once in two; it must be reported unsigned.
    func testRandomBytesReportAnUnsignedHeaderLength() throws {
        var data = Data([0x00, 0xFF, 0x13, 0x37, 0xC0, 0xDE, 0xBE, 0xEF])
        data.append(Data(repeating: 0x5A, count: 100))
        let url = directory.appendingPathComponent("model.safetensors")
        try data.write(to: url)
        XCTAssertThrowsError(try SafeTensorsFile(url: url)) { error in
            let message = "\(error)"
            guard case SafeTensorsError.invalidHeader = error else { return XCTFail(message) }
            XCTAssertTrue(message.contains("17275490137778945792"), message)
            XCTAssertTrue(message.contains("not a safetensors file"), message)
        }
    }

    func testShardedCheckpointThroughIndexIncludingMissingShard() throws {
        let a = TensorView.owned([1, 2], shape: [2]), b = TensorView.owned([3, 4, 5], shape: [3], dtype: .bfloat16)
        try SafeTensorsWriter.write([("a", a)], to: directory.appendingPathComponent("model-00000-of-00002.safetensors"))
        try SafeTensorsWriter.write([("b", b)], to: directory.appendingPathComponent("model-00001-of-00002.safetensors"))
        let index = #"{"metadata":{},"weight_map":{"a":"model-00000-of-00002.safetensors","b":"model-00001-of-00002.safetensors","c":"model-00002-of-00002.safetensors"}}"#
        try Data(index.utf8).write(to: directory.appendingPathComponent("model.safetensors.index.json"))
        let checkpoint = try Checkpoint(directory: directory)
        XCTAssertEqual(checkpoint.tensorNames, ["a", "b", "c"])
        XCTAssertFalse(checkpoint.allFilesPresent)
        XCTAssertEqual(try checkpoint.tensor("a").toFloatArray(), [1, 2])
        XCTAssertEqual(try checkpoint.tensor("b").toFloatArray(), [3, 4, 5])
        XCTAssertThrowsError(try checkpoint.tensor("c")) { error in
            guard case SafeTensorsError.missingShard(_, let shard, let tensor) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(shard, "model-00002-of-00002.safetensors")
            XCTAssertEqual(tensor, "c")
        }
        XCTAssertThrowsError(try checkpoint.tensor("nope"))
    }

    func testMappedAndInMemoryLoadingGiveTheSameTensors() throws {
        let values = TestSupport.randomValues(300, seed: 8)
        try SafeTensorsWriter.write([("w", TensorView.owned(values, shape: [3, 100], dtype: .bfloat16))],
                                    to: directory.appendingPathComponent("model.safetensors"))
        let mapped = try Checkpoint(directory: directory, mode: .map)
        let inMemory = try Checkpoint(directory: directory, mode: .memory)
        XCTAssertEqual(mapped.loadMode, .map)
        XCTAssertEqual(inMemory.loadMode, .memory)
        XCTAssertEqual(try mapped.tensor("w").toFloatArray(), try inMemory.tensor("w").toFloatArray())
        let data = try Data(contentsOf: directory.appendingPathComponent("model.safetensors"))
        try data.prefix(data.count - 10).write(to: directory.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try Checkpoint(directory: directory, mode: .memory)) { error in
            guard case SafeTensorsError.offsetsOutOfBounds = error else { return XCTFail("\(error)") }
        }
    }

    /// Read into memory, every tensor starts on a cache line whatever the header length and the
    /// sizes before it; mapped, they sit at the file's offsets. Both give the same values.
    func testInMemoryTensorsArePlacedOnCacheLines() throws {
        let shapes = [[3], [5, 7], [1], [64, 33], [2, 2, 3]]
        let tensors = shapes.enumerated().map { i, shape in
            (["odd", "w", "one", "big", "cube"][i],
             TensorView.owned(TestSupport.randomValues(shape.reduce(1, *), seed: UInt64(i)), shape: shape, dtype: i % 2 == 0 ? .bfloat16 : .float32))
        }
        try SafeTensorsWriter.write(tensors, to: directory.appendingPathComponent("model.safetensors"))
        let mapped = try Checkpoint(directory: directory, mode: .map)
        let inMemory = try Checkpoint(directory: directory, mode: .memory)
        var misalignedWhenMapped = 0
        for (name, _) in tensors {
            let a = try mapped.tensor(name), b = try inMemory.tensor(name)
            XCTAssertEqual(a.toFloatArray(), b.toFloatArray(), name)
            XCTAssertEqual(Int(bitPattern: b.base) % MappedFile.placementAlignment, 0, "\(name) in memory")
            XCTAssertEqual(Int(bitPattern: try inMemory.bytes(name).base) % 64, 0, "\(name) bytes in memory")
            if Int(bitPattern: a.base) % 64 != 0 { misalignedWhenMapped += 1 }
        }
        XCTAssertGreaterThan(misalignedWhenMapped, 0, "the file's own layout leaves tensors off cache lines")
    }

    /// A header whose tensors overlap (each naming the whole data section) is read whole, in place:
    /// the same values, and no allocation larger than the file.
    func testOverlappingTensorsAreReadInPlace() throws {
        let values: [Float] = (0..<64).map(Float.init)
        var header = "{"
        for i in 0..<50 { header += "\"t\(i)\":{\"dtype\":\"F32\",\"shape\":[64],\"data_offsets\":[0,256]}," }
        header.removeLast()
        header += "}"
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: header.utf8)
        values.withUnsafeBytes { data.append(contentsOf: $0) }
        try data.write(to: directory.appendingPathComponent("model.safetensors"))
        let inMemory = try Checkpoint(directory: directory, mode: .memory)
        XCTAssertEqual(try inMemory.tensor("t7").toFloatArray(), values)
        XCTAssertEqual(try inMemory.tensor("t49").toFloatArray(), values)
        XCTAssertEqual(try inMemory.tensor("t7").base, try inMemory.tensor("t49").base, "one copy of the data, in place")
    }

    func testIndexThatEscapesTheDirectoryIsRejected() throws {
        try Data(#"{"weight_map":{"a":"../../etc/passwd"}}"#.utf8).write(to: directory.appendingPathComponent("model.safetensors.index.json"))
        XCTAssertThrowsError(try Checkpoint(directory: directory)) { error in
            guard case SafeTensorsError.invalidIndex = error else { return XCTFail("\(error)") }
        }
    }

    func testEmptyDirectory() {
        XCTAssertThrowsError(try Checkpoint(directory: directory)) { error in
            guard case SafeTensorsError.noWeights = error else { return XCTFail("\(error)") }
        }
    }
}
