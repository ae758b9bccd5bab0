import Foundation
import SeqTensor

/// Why a parameter file does not fit an arena; the message names the tensor and what to do.
public enum ParameterLoadError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The arena has a slot the file lacks.
    case missing(file: String, name: String)
    /// The file has a tensor no slot takes.
    case unexpected(file: String, name: String)
    /// Same name, different shape.
    case shapeMismatch(file: String, name: String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case .missing(let file, let name):
            return "\(file) has no tensor '\(name)', which the model needs; was it saved from a different model config?"
        case .unexpected(let file, let name):
            return "\(file) has a tensor '\(name)' that the model does not have; check the checkpoint's config.json"
        case .shapeMismatch(let file, let name, let expected, let found):
            return "\(file): tensor '\(name)' has shape \(found) but the model needs \(expected);"
                + " the checkpoint was saved with other sizes"
        }
    }
}

extension ParameterArena {
    /// Writes every slot under its name as F32 safetensors, atomically (temporary file + rename).
    ///
    /// `try model.arena.write(to: dir.appendingPathComponent("model.safetensors"))`
    public func write(to url: URL, metadata: [String: String] = [:]) throws {
        try write(storage: values, to: url, prefix: "", metadata: metadata)
    }

    /// Writes a buffer laid out like the arena (gradients, optimizer moments) under `prefix + name`.
    public func write(storage: TensorStorage, to url: URL, prefix: String, metadata: [String: String] = [:]) throws {
        precondition(storage.capacity >= count, "storage of \(storage.capacity) floats for an arena of \(count)")
        let tensors = slots.map { slot in
            (
                name: prefix + slot.name, shape: slot.shape,
                values: UnsafeBufferPointer(start: storage.base + slot.offset, count: slot.count)
            )
        }
        try SafeTensorsFile.write(tensors, metadata: metadata, to: url)
    }

    /// Reads every slot by name from a safetensors file; every slot must be present with its shape and no
    /// other tensor may be there. Nothing is changed unless the whole file fits.
    ///
    /// `try model.arena.read(from: dir.appendingPathComponent("model.safetensors"))`
    public func read(from url: URL) throws {
        try read(into: values, from: SafeTensorsFile(contentsOf: url), prefix: "")
    }

    /// Reads `prefix + name` for every slot into a buffer laid out like the arena.
    public func read(into storage: TensorStorage, from file: SafeTensorsFile, prefix: String) throws {
        let name = (file.source as NSString).lastPathComponent
        for slot in slots {
            guard let info = file.tensors[prefix + slot.name] else {
                throw ParameterLoadError.missing(file: name, name: prefix + slot.name)
            }
            guard info.shape == slot.shape else {
                throw ParameterLoadError.shapeMismatch(
                    file: name, name: prefix + slot.name, expected: slot.shape, found: info.shape)
            }
        }
        let known = Set(slots.map { prefix + $0.name })
        if let extra = file.names.first(where: { !known.contains($0) }) {
            throw ParameterLoadError.unexpected(file: name, name: extra)
        }
        // Decode into a scratch buffer first, so a bad dtype leaves the arena untouched.
        let scratch = TensorStorage(capacity: count, zeroed: false)
        for slot in slots {
            try file.copyFloats(
                prefix + slot.name,
                into: UnsafeMutableBufferPointer(start: scratch.base + slot.offset, count: slot.count))
        }
        storage.base.update(from: scratch.base, count: count)
    }
}
