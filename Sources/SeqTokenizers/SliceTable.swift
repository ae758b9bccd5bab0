import Foundation

/// An open-addressing hash set of byte strings, numbering them `0, 1, 2, …` in insertion order.
///
/// Keys live in one byte arena, so counting or caching a million pre-tokens allocates no per-key arrays.
struct SliceTable: Sendable {
    /// Key bytes, back to back.
    private(set) var bytes: [UInt8] = []
    /// Key `k` is `bytes[starts[k]..<starts[k + 1]]`.
    private(set) var starts: [Int] = [0]
    /// `hash << 32 | (index + 1)`, or 0 for an empty slot.
    private var slots: [UInt64]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
    }

    /// FNV-1a over the bytes, folded with the length.
    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ length: Int) -> UInt32 {
        var h: UInt32 = 2_166_136_261
        var i = 0
        while i < length {
            h = (h ^ UInt32(p[i])) &* 16_777_619
            i &+= 1
        }
        return h ^ UInt32(truncatingIfNeeded: length) &* 0x9E37_79B9
    }

    /// The index of the key `p[0..<length]`, or -1.
    @inline(__always)
    func find(_ p: UnsafePointer<UInt8>, _ length: Int, hash h: UInt32) -> Int {
        slots.withUnsafeBufferPointer { sl in
            starts.withUnsafeBufferPointer { st in
                bytes.withUnsafeBufferPointer { arena in
                    var slot = Int(h) & mask
                    while true {
                        let v = sl[slot]
                        if v == 0 { return -1 }
                        if UInt32(truncatingIfNeeded: v >> 32) == h {
                            let k = Int(truncatingIfNeeded: v & 0xFFFF_FFFF) &- 1
                            let start = st[k]
                            if st[k &+ 1] &- start == length {
                                let q = arena.baseAddress! + start
                                var i = 0
                                while i < length && q[i] == p[i] { i &+= 1 }
                                if i == length { return k }
                            }
                        }
                        slot = (slot &+ 1) & mask
                    }
                }
            }
        }
    }

    /// Adds a key known to be absent and returns its index.
    @discardableResult
    mutating func insert(_ p: UnsafePointer<UInt8>, _ length: Int, hash h: UInt32) -> Int {
        if (count + 1) * 2 > slots.count { grow() }
        let k = count
        bytes.append(contentsOf: UnsafeBufferPointer(start: p, count: length))
        starts.append(bytes.count)
        place(UInt64(h) << 32 | UInt64(k + 1))
        count += 1
        return k
    }

    private mutating func place(_ v: UInt64) {
        var slot = Int(v >> 32) & mask
        while slots[slot] != 0 { slot = (slot &+ 1) & mask }
        slots[slot] = v
    }

    /// The index of `key`, inserting it if absent.
    @discardableResult
    mutating func index(of key: [UInt8]) -> (index: Int, inserted: Bool) {
        key.withUnsafeBufferPointer { q in
            let base = q.baseAddress ?? UnsafePointer(bitPattern: 1)!
            let h = Self.hash(base, q.count)
            let found = find(base, q.count, hash: h)
            if found >= 0 { return (found, false) }
            return (insert(base, q.count, hash: h), true)
        }
    }

    /// The index of `key`, or -1.
    func lookup(_ key: [UInt8]) -> Int {
        key.withUnsafeBufferPointer { q in
            let base = q.baseAddress ?? UnsafePointer(bitPattern: 1)!
            return find(base, q.count, hash: Self.hash(base, q.count))
        }
    }

    /// The bytes of key `k`.
    func key(_ k: Int) -> ArraySlice<UInt8> { bytes[starts[k]..<starts[k + 1]] }

    private mutating func grow() {
        let old = slots
        let size = slots.count * 2
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
        for v in old where v != 0 { place(v) }
    }
}

/// A hash map from a pair of token ids to the merge's rank and result, for BPE encoding.
struct PairTable: Sendable {
    private var keys: [UInt64]
    private var values: [UInt64]  // rank << 32 | merged id
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt64](repeating: .max, count: size)
        values = [UInt64](repeating: 0, count: size)
        mask = size - 1
    }

    @inline(__always)
    static func key(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }

    @inline(__always)
    static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// Records merge `a b → merged` with `rank`; a pair already present keeps its first (lowest) rank.
    mutating func insert(_ a: Int32, _ b: Int32, rank: Int32, merged: Int32) {
        if (count + 1) * 2 > keys.count { grow() }
        let k = Self.key(a, b)
        var slot = Self.slot(k, mask)
        while keys[slot] != .max {
            if keys[slot] == k { return }
            slot = (slot &+ 1) & mask
        }
        keys[slot] = k
        values[slot] = UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(UInt32(bitPattern: merged))
        count += 1
    }

    /// `(rank, merged)` of pair `a b`, or `nil`.
    @inline(__always)
    func find(_ a: Int32, _ b: Int32) -> (rank: Int32, merged: Int32)? {
        let k = Self.key(a, b)
        var slot = Self.slot(k, mask)
        while true {
            let stored = keys[slot]
            if stored == k {
                let v = values[slot]
                return (Int32(truncatingIfNeeded: v >> 32), Int32(truncatingIfNeeded: v))
            }
            if stored == .max { return nil }
            slot = (slot &+ 1) & mask
        }
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        let size = keys.count * 2
        keys = [UInt64](repeating: .max, count: size)
        values = [UInt64](repeating: 0, count: size)
        mask = size - 1
        for (k, v) in zip(oldKeys, oldValues) where k != .max {
            var slot = Self.slot(k, mask)
            while keys[slot] != .max { slot = (slot &+ 1) & mask }
            keys[slot] = k
            values[slot] = v
        }
    }
}
