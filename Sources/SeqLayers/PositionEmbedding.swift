import SeqAutograd
import SeqNN
import SeqTensor

/// A learned vector per position added to a sequence: (B, T, C) + table (T, C), so attention can tell positions
/// apart (GPT-2's `wpe`).
///
/// `PositionEmbedding()   // after Embedding(…, inputShape: [64]): 64·C parameters`
public final class PositionEmbedding: Layer {
    private var table: Parameter?

    /// A position embedding sized by its input when the model is built.
    public override init(name: String = "", inputShape: [Int]? = nil) { super.init(name: name, inputShape: inputShape) }

    public override var typeName: String { "PositionEmbedding" }

    public override func outputShape(for inputShapes: [[Int]]) -> Result<[Int], ShapeProblem> {
        inputShapes[0].count == 2
            ? .success(inputShapes[0]) : .failure(ShapeProblem("needs input of shape (steps, features)"))
    }

    public override func build(inputShapes: [[Int]], arena: ParameterArena, rng: inout SeededGenerator) {
        table = addParameter("embeddings", inputShapes[0], .uniform(bound: 0.05), arena: arena, rng: &rng)
    }

    public override func call(_ inputs: [Variable], _ context: ForwardContext) -> Variable {
        inputs[0] + variable(table!)  // (B, T, C) + (T, C)
    }
}
