// The chunked selective scan against the sequential reference: outputs, states, padding, gradients, and the model switch.
using SharpLens.Architectures.Mamba;
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Nn;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Ssm;

public class SelectiveScanTests
{
    // the bound for the forward scan: both are float32 with the same operations in a different order
    const double ScanAtol = 1e-5;

    // gradients sum over more terms (every later position's readout), so rounding grows; 1e-4 is the parity bound
    const double GradAtol = 1e-4;

    const long DInner = 6, DState = 5;

    sealed record Inputs(Tensor U, Tensor Dt, Tensor A, Tensor B, Tensor C);

    /// <summary>HF-like magnitudes: u, B, C ~ N(0, 1), Δ = softplus(N(−1, 1)), A = −exp(U(0, log 16)).</summary>
    static Inputs Random(long batch, long pos, long seed)
    {
        var g = new TorchSharp.torch.Generator((ulong)seed);
        return new Inputs(
            randn(batch, pos, DInner, generator: g),
            nn.functional.softplus(randn(batch, pos, DInner, generator: g) - 1),
            -(rand(DInner, DState, generator: g) * Math.Log(16)).exp(),
            randn(batch, pos, DState, generator: g),
            randn(batch, pos, DState, generator: g));
    }

    [Theory]
    [InlineData(1, 4)]
    [InlineData(2, 1)]
    [InlineData(5, 3)]
    [InlineData(16, 16)]
    [InlineData(17, 16)]
    [InlineData(37, 8)]
    [InlineData(64, 5)]
    [InlineData(100, 16)]
    [InlineData(7, 64)]
    public void Chunked_scan_equals_the_sequential_scan(long pos, int chunk)
    {
        // Given random inputs of a length that may not divide into chunks
        var x = Random(2, pos, 1000 + pos * 31 + chunk);
        // When both scans keep every state
        var seq = SelectiveScan.RunSequential(x.U, x.Dt, x.A, x.B, x.C, keepStates: true);
        var chk = SelectiveScan.RunChunked(x.U, x.Dt, x.A, x.B, x.C, keepStates: true, chunk);
        // Then y, the final state and every state agree to float32 rounding
        TensorAssert.Close(seq.Y, chk.Y, ScanAtol, "y");
        TensorAssert.Close(seq.LastState, chk.LastState, ScanAtol, "last state");
        TensorAssert.Close(seq.States!, chk.States!, ScanAtol, "states");
        // and without states only y and the final state come back
        var lean = SelectiveScan.RunChunked(x.U, x.Dt, x.A, x.B, x.C, keepStates: false, chunk);
        Assert.Null(lean.States);
        TensorAssert.Close(seq.Y, lean.Y, ScanAtol, "y without states");
    }

    [Fact]
    public void Chunked_scan_takes_B_and_C_as_views_of_one_projection()
    {
        // Given B and C sliced from one projection, as MambaMixer does, at a length that needs no padding
        var x = Random(2, 8, 11);
        var dbc = cat([randn(2, 8, 3, generator: new Generator(17)), x.B, x.C], -1);   // [batch, pos, 3 + 2·d_state]
        var (b, c) = (dbc.narrow(-1, 3, DState), dbc.narrow(-1, 3 + DState, DState));
        // Then the chunked scan equals the sequential one on the contiguous copies
        var seq = SelectiveScan.RunSequential(x.U, x.Dt, x.A, x.B, x.C, keepStates: false);
        var chk = SelectiveScan.RunChunked(x.U, x.Dt, x.A, b, c, keepStates: false, 4);
        TensorAssert.Close(seq.Y, chk.Y, ScanAtol, "y");
        TensorAssert.Close(seq.LastState, chk.LastState, ScanAtol, "last state");
    }

    [Fact]
    public void Empty_sequence_gives_empty_outputs_and_a_zero_state()
    {
        var x = Random(2, 0, 7);
        var seq = SelectiveScan.RunSequential(x.U, x.Dt, x.A, x.B, x.C, keepStates: true);
        var chk = SelectiveScan.RunChunked(x.U, x.Dt, x.A, x.B, x.C, keepStates: true, 4);
        TensorAssert.Equal(seq.Y, chk.Y, "y");
        TensorAssert.Equal(seq.LastState, chk.LastState, "last state");
        TensorAssert.Equal(seq.States!, chk.States!, "states");
        Assert.Throws<ArgumentOutOfRangeException>(() => SelectiveScan.RunChunked(x.U, x.Dt, x.A, x.B, x.C, false, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SelectiveScan.ChunkSize = 0);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void Positions_with_zero_dt_leave_the_state_untouched(int chunk)
    {
        // Given 11 real positions and the same positions with pads (Δ = 0, random u, B, C) before, between and after them
        var x = Random(1, 11, 42);
        var pads = Random(1, 9, 43);
        long[] realAt = [2, 3, 4, 5, 8, 9, 10, 11, 12, 14, 15];                           // 20 positions, 9 pads
        var isReal = new bool[20];
        foreach (var p in realAt) isReal[p] = true;
        Tensor Spread(Tensor real, Tensor pad, bool zeroPads)
        {
            var parts = new List<Tensor>();
            for (int p = 0, r = 0, q = 0; p < 20; p++)
                parts.Add(isReal[p] ? real.narrow(1, r++, 1) : zeroPads ? zeros_like(pad.narrow(1, q++, 1)) : pad.narrow(1, q++, 1));
            return cat(parts, 1);
        }
        // When both are scanned in chunks
        var alone = SelectiveScan.RunChunked(x.U, x.Dt, x.A, x.B, x.C, keepStates: true, chunk);
        var padded = SelectiveScan.RunChunked(Spread(x.U, pads.U, false), Spread(x.Dt, pads.Dt, true), x.A,
            Spread(x.B, pads.B, false), Spread(x.C, pads.C, false), keepStates: true, chunk);
        // Then the real positions and the final state are those of the unpadded sequence
        var at = tensor(realAt);
        TensorAssert.Close(alone.Y, padded.Y.index_select(1, at), ScanAtol, "y at real positions");
        TensorAssert.Close(alone.States!, padded.States!.index_select(1, at), ScanAtol, "states at real positions");
        TensorAssert.Close(alone.LastState, padded.LastState, ScanAtol, "final state after trailing pads");
    }

    [Theory]
    [InlineData(1, 3, true)]
    [InlineData(11, 4, true)]
    [InlineData(11, 4, false)]
    [InlineData(13, 16, true)]
    [InlineData(20, 3, false)]
    public void Chunked_scan_gradients_equal_the_sequential_scan_gradients(long pos, int chunk, bool keepStates)
    {
        // Given small random inputs and a loss over y, the final state and (when kept) every state
        var x = Random(2, pos, 77 + pos);
        var g = new TorchSharp.torch.Generator(5);
        var wy = randn(2, pos, DInner, generator: g);
        var ws = randn(2, pos, DInner, DState, generator: g);
        var wl = randn(2, DInner, DState, generator: g);
        Tensor[] Grads(Func<Tensor, Tensor, Tensor, Tensor, Tensor, ScanResult> scan)
        {
            var leaves = new[] { x.U, x.Dt, x.A, x.B, x.C }.Select(t => t.detach().clone().requires_grad_()).ToArray();
            var r = scan(leaves[0], leaves[1], leaves[2], leaves[3], leaves[4]);
            var loss = (r.Y * wy).sum() + (r.LastState * wl).sum();
            (keepStates ? loss + (r.States! * ws).sum() : loss).backward();
            return leaves.Select(t => t.grad!).ToArray();
        }
        // When both scans are differentiated
        var seq = Grads((u, dt, a, b, c) => SelectiveScan.RunSequential(u, dt, a, b, c, keepStates));
        var chk = Grads((u, dt, a, b, c) => SelectiveScan.RunChunked(u, dt, a, b, c, keepStates, chunk));
        // Then the gradients of u, Δ, A, B and C agree
        string[] names = ["u", "dt", "A", "B", "C"];
        for (int i = 0; i < names.Length; i++) TensorAssert.Close(seq[i], chk[i], GradAtol, $"grad {names[i]}");
    }

    [FixtureFact]
    public void Mamba_model_gives_the_same_logits_and_states_with_either_scan()
    {
        // Given the mamba fixture and a padded batch
        using var model = (MambaForCausalLM)ModelLoader.Load(Fixtures.Model("mamba"));
        var ids = tensor(new long[] { 0, 0, 5, 17, 42, 9, 100, 63, 7, 1, 2, 3, 4, 119, 8, 11, 12, 13 }).view(2, 9);
        var mask = tensor(new long[] { 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }).view(2, 9);
        var sites = HookFilter.Glob("*mixer.hook_ssm_states", "*mixer.hook_ssm_state", "*hook_resid_post");
        // When it runs with the chunked scan (chunks of 2, so the state crosses chunks) and with the sequential one (both
        // switches are per async flow, so tests running beside this one keep the defaults)
        int chunk = SelectiveScan.ChunkSize;
        ActivationCache chunked, sequential;
        try
        {
            SelectiveScan.ChunkSize = 2;
            chunked = model.RunWithCache(ids, sites, attentionMask: mask);
            SelectiveScan.UseSequential = true;
            sequential = model.RunWithCache(ids, sites, attentionMask: mask);
        }
        finally { (SelectiveScan.ChunkSize, SelectiveScan.UseSequential) = (chunk, false); }
        using var c1 = chunked;
        using var c2 = sequential;
        // Then logits and every cached tensor agree
        TensorAssert.Close(sequential.Logits!, chunked.Logits!, 1e-4, "logits");
        foreach (var name in sequential.Names) TensorAssert.Close(sequential[name], chunked[name], 1e-4, name);
        Assert.Contains("blocks.0.mixer.hook_ssm_states", chunked.Names);
    }
}
