public import Foundation

/// Reads and writes the safetensors format, the ecosystem's weight format, so that PyTorch users
/// can inspect or produce our weights.
///
/// Layout: an 8-byte little-endian header length `N`, `N` bytes of JSON mapping each tensor name
/// to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the end of the
/// header) plus an optional `"__metadata__"` string map, then the raw little-endian data.
/// We write F32 only; we read F32, F64, F16, BF16, I32 and I64, converting to Float32.
public enum SafeTensors {
    /// Headers larger than this are rejected as corrupt rather than parsed.
    public static let maxHeaderBytes = 100 << 20

    /// The tensors and string metadata of one file.
    public struct Contents: Sendable {
        public var tensors: [String: Tensor]
        public var metadata: [String: String]

        public init(tensors: [String: Tensor], metadata: [String: String] = [:]) {
            self.tensors = tensors
            self.metadata = metadata
        }

        /// The tensor called `name`.
        /// - Throws: ``SafeTensorsError/Code/missingTensor`` naming what is missing.
        public func tensor(_ name: String) throws -> Tensor {
            guard let t = tensors[name] else {
                let known = tensors.keys.sorted().prefix(10).joined(separator: ", ")
                throw SafeTensorsError(.missingTensor, "no tensor '\(name)' (file has: \(known))")
            }
            return t
        }
    }

    // MARK: Writing

    /// Encodes tensors as F32 safetensors bytes. Tensors are laid out in name order, so the same
    /// input always gives the same bytes.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) throws -> Data {
        let names = tensors.keys.sorted()
        var header: [String: Any] = [:]
        var offset = 0
        for name in names {
            let t = tensors[name]!
            let bytes = t.count * MemoryLayout<Float>.size
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + bytes]]
            offset += bytes
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
        let padding = (8 - json.count % 8) % 8
        json.append(contentsOf: [UInt8](repeating: 0x20, count: padding))

        var out = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for name in names {
            tensors[name]!.withUnsafeBufferPointer { buffer in
                #if _endian(big)
                for value in buffer {
                    withUnsafeBytes(of: value.bitPattern.littleEndian) { out.append(contentsOf: $0) }
                }
                #else
                out.append(UnsafeBufferPointer(start: buffer.baseAddress, count: buffer.count))
                #endif
            }
        }
        return out
    }

    /// Writes tensors to `url` atomically (a temporary file renamed into place).
    /// - Throws: ``SafeTensorsError`` with code `io` naming the path.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL) throws {
        let data = try encode(tensors, metadata: metadata)
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw SafeTensorsError(.io, "cannot write \(url.path): \(error.localizedDescription)")
        }
    }

    // MARK: Reading

    /// Reads every tensor of the file at `url`, converted to Float32.
    /// - Throws: ``SafeTensorsError`` naming the file and the offending tensor.
    public static func read(_ url: URL) throws -> Contents {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw SafeTensorsError(.io, "cannot read \(url.path): \(error.localizedDescription)")
        }
        do {
            return try decode(data)
        } catch let error as SafeTensorsError {
            throw SafeTensorsError(error.code, "\(url.path): \(error.message)")
        }
    }

    /// Decodes safetensors bytes.
    public static func decode(_ data: Data) throws -> Contents {
        guard data.count >= 8 else {
            throw SafeTensorsError(.truncated, "file has \(data.count) bytes, fewer than the 8-byte header length")
        }
        let headerLength = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(maxHeaderBytes) else {
            throw SafeTensorsError(
                .badHeader, "header length \(headerLength) exceeds \(maxHeaderBytes) bytes; not a safetensors file?")
        }
        let dataStart = 8 + Int(headerLength)
        guard data.count >= dataStart else {
            throw SafeTensorsError(.truncated, "header claims \(headerLength) bytes but the file has \(data.count - 8)")
        }
        let headerBytes = data.subdata(in: data.startIndex + 8..<data.startIndex + dataStart)
        guard let header = (try? JSONSerialization.jsonObject(with: headerBytes)) as? [String: Any] else {
            throw SafeTensorsError(.badHeader, "header is not a JSON object")
        }
        let payloadCount = data.count - dataStart

        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let map = raw as? [String: String] else {
                throw SafeTensorsError(.badHeader, "__metadata__ must map strings to strings")
            }
            metadata = map
        }

        var tensors: [String: Tensor] = [:]
        var ranges: [(Int, Int, String)] = []
        for (name, entry) in header where name != "__metadata__" {
            let info = try TensorInfo(name: name, entry: entry)
            guard info.end <= payloadCount else {
                throw SafeTensorsError(
                    .truncated, "tensor '\(name)' ends at byte \(info.end) of a \(payloadCount)-byte data section")
            }
            ranges.append((info.begin, info.end, name))
            tensors[name] = data.withUnsafeBytes { raw in
                info.convert(UnsafeRawBufferPointer(rebasing: raw[(dataStart + info.begin)..<(dataStart + info.end)]))
            }
        }
        ranges.sort { $0.0 < $1.0 }
        for (previous, next) in zip(ranges, ranges.dropFirst()) where next.0 < previous.1 {
            throw SafeTensorsError(.badOffsets, "tensors '\(previous.2)' and '\(next.2)' overlap")
        }
        return Contents(tensors: tensors, metadata: metadata)
    }

    /// One header entry, checked against the shape before any data is touched.
    private struct TensorInfo {
        var dtype: String
        var shape: [Int]
        var begin: Int
        var end: Int

        static let byteWidth: [String: Int] = ["F32": 4, "F64": 8, "F16": 2, "BF16": 2, "I32": 4, "I64": 8]

        init(name: String, entry: Any) throws {
            guard let map = entry as? [String: Any],
                let dtype = map["dtype"] as? String,
                let shape = map["shape"] as? [Int],
                let offsets = map["data_offsets"] as? [Int], offsets.count == 2
            else {
                throw SafeTensorsError(
                    .badHeader,
                    "tensor '\(name)' needs dtype (string), shape (integers) and data_offsets ([begin, end])")
            }
            guard let width = Self.byteWidth[dtype] else {
                throw SafeTensorsError(
                    .unsupportedDType,
                    "tensor '\(name)' has dtype \(dtype); supported: \(Self.byteWidth.keys.sorted().joined(separator: ", "))"
                )
            }
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[1] >= offsets[0] else {
                throw SafeTensorsError(.badOffsets, "tensor '\(name)' has a negative dimension or reversed offsets")
            }
            let elements = shape.reduce(1, *)
            guard offsets[1] - offsets[0] == elements * width else {
                throw SafeTensorsError(
                    .badOffsets,
                    "tensor '\(name)' of shape \(shape) \(dtype) needs \(elements * width) bytes, offsets give \(offsets[1] - offsets[0])"
                )
            }
            self.dtype = dtype
            self.shape = shape
            self.begin = offsets[0]
            self.end = offsets[1]
        }

        func convert(_ bytes: UnsafeRawBufferPointer) -> Tensor {
            var out = Tensor(uninitialized: shape)
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<dst.count {
                    switch dtype {
                    case "F32":
                        dst[i] = Float(
                            bitPattern: UInt32(
                                littleEndian: bytes.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                    case "F64":
                        dst[i] = Float(
                            Double(
                                bitPattern: UInt64(
                                    littleEndian: bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))))
                    case "F16":
                        dst[i] = Self.halfToFloat(
                            UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
                    case "BF16":
                        dst[i] = Float(
                            bitPattern: UInt32(
                                UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) << 16
                        )
                    case "I32":
                        dst[i] = Float(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)))
                    default:
                        dst[i] = Float(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)))
                    }
                }
            }
            return out
        }

        /// IEEE 754 binary16 to binary32, written out so it does not depend on Float16 support.
        static func halfToFloat(_ h: UInt16) -> Float {
            let sign = UInt32(h & 0x8000) << 16
            let exponent = Int((h >> 10) & 0x1F)
            let mantissa = UInt32(h & 0x3FF)
            switch exponent {
            case 0:
                // Zero or subnormal: value = mantissa * 2^-24.
                let magnitude = Float(mantissa) * 0x1p-24
                return sign == 0 ? magnitude : -magnitude
            case 31:
                return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
            default:
                return Float(bitPattern: sign | (UInt32(exponent + 112) << 23) | (mantissa << 13))
            }
        }
    }
}
