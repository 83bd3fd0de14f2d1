import Bundle
import Foundation
import JSON
import Tensor
import Testing

@Suite("Model bundle")
struct BundleTests {
    private func scratch() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("resid-bundle-test-\(UUID().uuidString)")
    }

    private func makeBundle(at dir: URL) throws -> ModelBundle {
        let writer = try BundleWriter(directory: dir)
        try writer.writeTensors(["w": Tensor(shape: [2, 3], elements: [1, 2, 3, 4, 5, 6])], as: "famae.safetensors")
        try writer.writeJSON(["a": 1, "b": 2], as: "items.json")
        let manifest = BundleManifest(
            bundleID: "test-1",
            schema: .object(["fields": .array([.string("item_id"), .string("genre")])]),
            hyperparameters: ["famae": .object(["d": .integer(128)])],
            codes: .init(method: "gaoq", levelSizes: [32, 40, 7])
        )
        return try writer.finish(manifest)
    }

    @Test func roundTrips() throws {
        let root = scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let dir = root.appendingPathComponent("b1")
        let written = try makeBundle(at: dir)
        let opened = try ModelBundle(directory: dir)
        #expect(opened.manifest == written.manifest)
        #expect(opened.id == "test-1")
        #expect(opened.manifest.codes?.levelOffsets == [0, 32, 72])
        #expect(opened.manifest.schema["fields"] == .array([.string("item_id"), .string("genre")]))
        #expect(try opened.tensors("famae.safetensors").tensor("w").elements == [1, 2, 3, 4, 5, 6])
        #expect(try opened.decodeJSON([String: Int].self, from: "items.json") == ["a": 1, "b": 2])
        #expect(Set(opened.manifest.files.keys) == ["famae.safetensors", "items.json"])
        // Nothing but the bundle is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["b1"])
    }

    @Test func refusesToOverwrite() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try makeBundle(at: dir)
        #expect { try BundleWriter(directory: dir) } throws: { ($0 as? BundleError)?.code == .alreadyExists }
    }

    @Test func rejectsCorruptedMissingAndExtraFiles() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try makeBundle(at: dir)
        let file = dir.appendingPathComponent("famae.safetensors")
        let fm = FileManager.default
        try fm.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count - 1] ^= 0x01  // flip one bit of one weight
        try bytes.write(to: file)
        #expect {
            try ModelBundle(directory: dir)
        } throws: { error in
            guard let error = error as? BundleError else { return false }
            return error.code == .corruptFile && error.message.contains("famae.safetensors")
        }
        // Opening without verification still works, for inspection tools.
        #expect(try ModelBundle(directory: dir, verify: false).id == "test-1")

        try fm.removeItem(at: file)
        #expect { try ModelBundle(directory: dir) } throws: { ($0 as? BundleError)?.code == .missingFile }
        try Data().write(to: file)
        try Data("x".utf8).write(to: dir.appendingPathComponent("extra.bin"))
        #expect { try ModelBundle(directory: dir) } throws: { ($0 as? BundleError)?.code == .unlistedFile }
    }

    @Test func rejectsBadManifests() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        #expect { try ModelBundle(directory: dir) } throws: { ($0 as? BundleError)?.code == .missingManifest }
        let manifest = dir.appendingPathComponent("manifest.json")
        try Data(#"{"formatVersion": 1, "bundleID": 5}"#.utf8).write(to: manifest)
        #expect {
            try ModelBundle(directory: dir)
        } throws: { error in
            guard let error = error as? BundleError else { return false }
            return error.code == .badManifest && error.message.contains("bundleID")
        }
        try Data(
            #"{"formatVersion": 99, "bundleID": "x", "createdAt": "2026-01-01T00:00:00Z", "schema": null, "hyperparameters": {}, "notes": {}, "files": {}}"#
                .utf8
        ).write(to: manifest)
        #expect { try ModelBundle(directory: dir) } throws: { ($0 as? BundleError)?.code == .unsupportedVersion }
    }

    @Test func rejectsUnsafeFileNames() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let writer = try BundleWriter(directory: dir)
        for bad in ["../escape", ".hidden", "manifest.json", ""] {
            #expect { try writer.write(Data(), as: bad) } throws: { ($0 as? BundleError)?.code == .badName }
        }
    }
}
