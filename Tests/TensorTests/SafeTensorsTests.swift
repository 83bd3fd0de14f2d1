import Foundation
import Tensor
import Testing

@Suite("safetensors")
struct SafeTensorsTests {
    private func fixture(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
    }

    @Test func readsFileWrittenByReferencePythonPackage() throws {
        let contents = try SafeTensors.read(fixture("reference.safetensors"))
        #expect(contents.metadata == ["producer": "python-safetensors"])
        let weight = try contents.tensor("weight")
        #expect(weight.shape == [3, 4])
        #expect(weight.elements == (0..<12).map { Float($0) / 4 - 1 })
        #expect(try contents.tensor("bias").elements == [0.5, -2.25, 3.0])
        let scalar = try contents.tensor("scalar")
        #expect(scalar.shape == [])
        #expect(scalar.scalar == 7.5)
        let half = try contents.tensor("half").elements
        #expect(half[0] == 1 && half[1] == -0.5 && half[2] == 65504)
        #expect(abs(half[3] - 5.96e-8) < 1e-9)  // float16 subnormal
        #expect(try contents.tensor("double").elements == [1.0, 2.5])
        #expect(try contents.tensor("ids").elements == [1, -2, 30])
    }

    @Test func roundTripsBitExactly() throws {
        var rng = SeededRandom(seed: 3)
        let a = Tensor(shape: [5, 7], elements: (0..<35).map { _ in rng.normal() })
        let b = Tensor(
            shape: [2, 1, 3], elements: [.infinity, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -1, 0])
        let data = try SafeTensors.encode(["a": a, "b": b], metadata: ["k": "v"])
        #expect(try SafeTensors.encode(["b": b, "a": a], metadata: ["k": "v"]) == data)
        let back = try SafeTensors.decode(data)
        #expect(back.tensors["a"] == a)
        #expect(back.tensors["b"]!.elements.map(\.bitPattern) == b.elements.map(\.bitPattern))
        #expect(back.metadata == ["k": "v"])
        // The data section starts 8-byte aligned, as the reference writer requires.
        let headerLength = data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect(headerLength % 8 == 0)
    }

    @Test func writesFilesThatReadBack() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("resid-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let t = Tensor(shape: [2, 2], elements: [1, 2, 3, 4])
        try SafeTensors.write(["t": t], to: url)
        #expect(try SafeTensors.read(url).tensor("t") == t)
    }

    @Test func rejectsCorruptInputWithClearErrors() throws {
        let good = try SafeTensors.encode(["t": Tensor(shape: [4], elements: [1, 2, 3, 4])])

        func failure(_ data: Data) -> SafeTensorsError? {
            do { _ = try SafeTensors.decode(data); return nil } catch { return error as? SafeTensorsError }
        }
        #expect(failure(Data([1, 2, 3]))?.code == .truncated)
        #expect(failure(good.prefix(good.count - 4))?.code == .truncated)
        var hugeHeader = good
        hugeHeader.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { Data($0) })
        #expect(failure(hugeHeader)?.code == .badHeader)

        func withHeader(_ json: String) -> Data {
            var bytes = Data(json.utf8)
            var out = withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { Data($0) }
            out.append(bytes)
            bytes = Data(count: 16)
            out.append(bytes)
            return out
        }
        #expect(failure(withHeader("[1,2]"))?.code == .badHeader)
        #expect(failure(withHeader(#"{"t":{"dtype":"F32","shape":[4]}}"#))?.code == .badHeader)
        #expect(
            failure(withHeader(#"{"t":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}"#))?.code == .unsupportedDType)
        #expect(failure(withHeader(#"{"t":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#))?.code == .badOffsets)
        let overlap = failure(
            withHeader(
                #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
            ))
        #expect(overlap?.code == .badOffsets)
        #expect(overlap?.message.contains("overlap") == true)
        #expect(throws: SafeTensorsError.self) { try SafeTensors.Contents(tensors: [:]).tensor("missing") }
    }
}
