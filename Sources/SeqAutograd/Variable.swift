import SeqTensor

/// A node of the reverse-mode graph: a value, its gradient, and how to pass gradients back.
///
/// Operations on variables compute their value at once with a forward kernel and, while gradients
/// are recorded and some input needs one, keep a pullback that calls the matching backward kernel.
/// ``backward()`` on a scalar loss runs those pullbacks in reverse topological order; a variable
/// used twice accumulates both gradients.
///
/// ```swift
/// let x = Variable(Tensor(shape: [3], values: [1, 2, 3]), requiresGrad: true)
/// let loss = (x * x).sum()      // Σ x²
/// loss.backward()
/// x.grad!.toArray() == [2, 4, 6]
/// ```
public final class Variable {
    /// The forward value.
    public let value: Tensor
    /// The graph node: gradient, pullback and links to the inputs' nodes, but not the value, so a
    /// forward value lives only as long as the caller or some pullback that reads it holds it.
    let node: Node

    /// A leaf variable (an input, or a constant when `requiresGrad` is false).
    public init(_ value: Tensor, requiresGrad: Bool = false) {
        self.value = value
        self.node = Node(shape: value.shape, requiresGrad: requiresGrad)
    }

    /// A leaf whose gradient accumulates into `grad`, a buffer of the same shape owned elsewhere
    /// (the parameter arena's gradient slot).
    public init(_ value: Tensor, gradientBuffer grad: Tensor) {
        precondition(grad.shape == value.shape, "gradient buffer \(grad.shape) does not match value \(value.shape)")
        self.value = value
        self.node = Node(shape: value.shape, requiresGrad: true)
        node.grad = grad
    }

    /// An operation's output. The pullback is kept only while recording and when an input needs a gradient.
    ///
    /// The pullback should capture the tensors it reads and its inputs' ``node``s, not the input variables:
    /// a captured variable keeps its whole forward value alive until backward.
    init(_ value: Tensor, parents: [Variable], pullback: @escaping (Tensor) -> Void) {
        self.value = value
        let needed = GradientMode.isRecording && parents.contains { $0.requiresGrad }
        self.node = Node(shape: value.shape, requiresGrad: needed)
        if needed {
            node.parents = parents.map(\.node)
            node.pullback = pullback
        }
    }

    /// The accumulated gradient of the loss with respect to ``value`` (nil until one flows here).
    public var grad: Tensor? { node.grad }
    /// Whether gradients flow to this variable.
    public var requiresGrad: Bool { node.requiresGrad }

    /// The shape of ``value``.
    public var shape: [Int] { value.shape }

    /// The gradient buffer to accumulate into, allocated zeroed on first use.
    package func gradientStorage() -> UnsafeMutablePointer<Float> { node.gradientStorage() }

    /// Sets the gradient to zero in place (no reallocation).
    public func zeroGradient() { node.grad?.fill(0) }

    /// Back-propagates from this scalar: fills the gradient of every variable it depends on that needs one.
    ///
    /// Each operation's node is spent once its pullback has run: its gradient, its pullback (with the
    /// activations it saved) and its links to its inputs are dropped right away, so memory falls through
    /// the backward pass instead of peaking at its end. Leaves keep their gradients; an operation's output
    /// has `grad == nil` afterwards and the graph cannot be back-propagated again.
    ///
    /// `loss.backward()` — call once per graph; gradients of leaves add to what they already hold.
    public func backward() {
        precondition(value.count == 1, "backward() needs a scalar loss, got shape \(value.shape)")
        guard requiresGrad else { return }
        let seed = gradientStorage()
        seed[0] += 1
        var order = node.topologicalOrder()  // children last: popping runs them first
        while let node = order.popLast() {
            guard let pullback = node.pullback else { continue }
            if let g = node.grad { pullback(g) }
            node.grad = nil
            node.pullback = nil
            node.parents = []
        }
    }
}

/// The part of a ``Variable`` that backward needs: its gradient, its pullback and its inputs' nodes.
final class Node {
    /// The shape of the variable's value (and gradient).
    let shape: [Int]
    /// Whether gradients flow to this node.
    let requiresGrad: Bool
    var grad: Tensor?
    var parents: [Node] = []
    var pullback: ((Tensor) -> Void)?

    init(shape: [Int], requiresGrad: Bool) {
        self.shape = shape
        self.requiresGrad = requiresGrad
    }

    /// The gradient buffer to accumulate into, allocated zeroed on first use.
    func gradientStorage() -> UnsafeMutablePointer<Float> {
        if let grad { return grad.pointer }
        let g = Tensor(zeros: shape)
        grad = g
        return g.pointer
    }

    /// Adds `g` (this node's shape, or the same count) to the gradient. When none has flowed here yet, `g`
    /// becomes the gradient itself, with no zeroed buffer and no addition: only for a `g` that nothing
    /// else will write to or read afterwards (a pullback's own incoming gradient, passed on once).
    func accumulate(adopting g: Tensor) {
        if grad == nil {
            grad = g.shape == shape ? g : g.reshaped(shape)
        } else {
            Kernels.addScaled(grad!.pointer, g.pointer, g.count, 1)
        }
    }

    /// Nodes reachable from here through parents that need gradients, parents before children (iterative DFS).
    func topologicalOrder() -> [Node] {
        var order: [Node] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Node, Int)] = [(self, 0)]
        visited.insert(ObjectIdentifier(self))
        while let (node, next) = stack.popLast() {
            if next < node.parents.count {
                stack.append((node, next + 1))
                let parent = node.parents[next]
                if parent.requiresGrad && visited.insert(ObjectIdentifier(parent)).inserted {
                    stack.append((parent, 0))
                }
            } else {
                order.append(node)
            }
        }
        return order
    }
}

/// Whether operations record pullbacks. Inference runs inside ``withoutGradients(_:)`` and records nothing.
public enum GradientMode {
    @TaskLocal static var recording = true

    /// True unless inside ``withoutGradients(_:)``.
    public static var isRecording: Bool { recording }
}

/// Runs `body` without recording the graph (no pullbacks, no saved activations).
///
/// ```swift
/// let logits = withoutGradients { model.logits(tokens) }
/// ```
public func withoutGradients<T>(_ body: () throws -> T) rethrows -> T {
    try GradientMode.$recording.withValue(false, operation: body)
}
