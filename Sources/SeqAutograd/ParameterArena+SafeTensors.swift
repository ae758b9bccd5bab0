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
    /// A tensor holds NaN or infinite values (`count` of them): the weights of a run that diverged.
    case nonFinite(file: String, name: String, count: Int)
    /// A tied tensor stored under both its names with different values (first at flat `index`).
    case tiedMismatch(file: String, name: String, alias: String, index: Int)

    public var description: String {
        switch self {
        case .missing(let file, let name):
            return "\(file) has no tensor '\(name)', which the model needs; was it saved from a different model config?"
        case .unexpected(let file, let name):
            return "\(file) has a tensor '\(name)' that the model does not have; check the checkpoint's config.json"
        case .shapeMismatch(let file, let name, let expected, let found):
            return "\(file): tensor '\(name)' has shape \(found) but the model needs \(expected);"
                + " the checkpoint was saved with other sizes"
        case .nonFinite(let file, let name, let count):
            return "\(file): tensor '\(name)' holds \(count) NaN or infinite values, so the model's output would be"
                + " garbage; use a checkpoint saved before training diverged, or train again with a lower learning rate"
        case .tiedMismatch(let file, let name, let alias, let index):
            return "\(file): '\(alias)' differs from '\(name)' (first at element \(index)), but the model ties them;"
                + " save both names with the same values, or only '\(name)'"
        }
    }
}

extension ParameterArena {
    /// Writes every slot under its name as F32 safetensors, atomically (temporary file + rename); a tied slot
    /// also under each of its ``aliases``, as PyTorch's `state_dict` lists it, so the file loads with
    /// `load_state_dict(strict=True)`.
    ///
    /// `try model.arena.write(to: dir.appendingPathComponent("model.safetensors"))`
    public func write(to url: URL, metadata: [String: String] = [:]) throws {
        var tensors = slots.map { slot in
            (
                name: slot.name, shape: slot.shape,
                values: UnsafeBufferPointer(start: values.base + slot.offset, count: slot.count)
            )
        }
        for (alias, name) in aliases {
            guard let slot = slot(named: name) else { continue }
            tensors.append(
                (alias, slot.shape, UnsafeBufferPointer(start: values.base + slot.offset, count: slot.count)))
        }
        try SafeTensorsFile.write(tensors, metadata: metadata, to: url)
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

    /// Reads every slot by name from a safetensors file; every slot must be present with its shape, no other
    /// tensor may be there, and no value may be NaN or infinite. A tied slot may be stored under its name, an
    /// alias, or both when they hold the same values. Nothing is changed unless the whole file fits.
    ///
    /// `try model.arena.read(from: dir.appendingPathComponent("model.safetensors"))`
    public func read(from url: URL) throws {
        try read(from: SafeTensorsFile(contentsOf: url))
    }

    /// Reads every slot from a safetensors file already in memory; see ``read(from:)-(URL)``.
    public func read(from file: SafeTensorsFile) throws {
        try read(into: values, from: file, prefix: "")
    }

    /// Reads every slot from `prefix + name` in a file written by another library, whose other tensors for which
    /// `ignoring` is true (a head this model does not have, a buffer of positions) are passed over; any other
    /// unknown tensor is still an error. See ``read(from:)-(URL)``.
    ///
    /// With `inPlace`, tensors are decoded straight into the arena, with no second buffer of the model's size: for
    /// a model built just to be loaded, whose values a bad file may leave part-written.
    public func read(
        from file: SafeTensorsFile, prefix: String, inPlace: Bool = false, ignoring: (String) -> Bool
    ) throws {
        try read(into: values, from: file, prefix: prefix, inPlace: inPlace, ignoring: ignoring)
    }

    /// Reads `prefix + name` for every slot into a buffer laid out like the arena (aliases apply with an
    /// empty prefix only); NaN or infinite values are refused, and so is a tensor of the file that is no slot's
    /// unless `ignoring` passes it over.
    public func read(
        into storage: TensorStorage, from file: SafeTensorsFile, prefix: String, inPlace: Bool = false,
        ignoring: (String) -> Bool = { _ in false }
    ) throws {
        let name = (file.source as NSString).lastPathComponent
        let aliases = prefix.isEmpty ? self.aliases : []
        // Where each slot comes from: its own name, else an alias that is in the file.
        var sources: [String] = []
        for slot in slots {
            let source =
                file.tensors[prefix + slot.name] != nil
                ? prefix + slot.name
                : aliases.first { $0.slot == slot.name && file.tensors[$0.alias] != nil }?.alias ?? prefix + slot.name
            guard let info = file.tensors[source] else {
                throw ParameterLoadError.missing(file: name, name: prefix + slot.name)
            }
            guard info.shape == slot.shape else {
                throw ParameterLoadError.shapeMismatch(
                    file: name, name: source, expected: slot.shape, found: info.shape)
            }
            sources.append(source)
        }
        let known = Set(slots.map { prefix + $0.name } + aliases.map(\.alias))
        if let extra = file.names.first(where: { !known.contains($0) && !ignoring($0) }) {
            throw ParameterLoadError.unexpected(file: name, name: extra)
        }
        // Decode into a scratch buffer first, so a bad dtype or value leaves the arena untouched.
        let scratch = inPlace ? storage : TensorStorage(capacity: count, zeroed: false)
        for (slot, source) in zip(slots, sources) {
            let destination = UnsafeMutableBufferPointer(start: scratch.base + slot.offset, count: slot.count)
            try file.copyFloats(source, into: destination)
            let bad = Self.nonFiniteCount(UnsafeBufferPointer(destination))
            if bad > 0 { throw ParameterLoadError.nonFinite(file: name, name: source, count: bad) }
        }
        for (alias, slotName) in aliases {
            guard let slot = slot(named: slotName), let info = file.tensors[alias], info.shape == slot.shape,
                file.tensors[slotName] != nil
            else { continue }
            let copy = try file.floats(alias)
            let stored = UnsafeBufferPointer(start: scratch.base + slot.offset, count: slot.count)
            if let index = (0..<slot.count).first(where: { copy[$0].bitPattern != stored[$0].bitPattern }) {
                throw ParameterLoadError.tiedMismatch(file: name, name: slotName, alias: alias, index: index)
            }
        }
        if !inPlace { storage.base.update(from: scratch.base, count: count) }
    }

    /// The first slot of `storage` (laid out like the arena; the values when nil) holding NaN or infinite
    /// values, and how many it holds; nil when every value is finite.
    ///
    /// `if let (name, count) = arena.firstNonFinite() { … }`
    public func firstNonFinite(in storage: TensorStorage? = nil) -> (name: String, count: Int)? {
        let base = (storage ?? values).base
        for slot in slots {
            let bad = Self.nonFiniteCount(UnsafeBufferPointer(start: base + slot.offset, count: slot.count))
            if bad > 0 { return (slot.name, bad) }
        }
        return nil
    }

    /// How many of `values` are NaN or ±infinity: those whose exponent bits are all ones.
    static func nonFiniteCount(_ values: UnsafeBufferPointer<Float>) -> Int {
        var bad = 0
        for value in values where value.bitPattern & 0x7f80_0000 == 0x7f80_0000 { bad &+= 1 }
        return bad
    }
}
