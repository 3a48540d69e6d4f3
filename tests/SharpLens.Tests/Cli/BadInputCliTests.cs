// Table-driven bad-input cases across every command: exit 2, exactly one `error:` line saying what was wrong, no output.
using SharpLens.Tests.Support;

namespace SharpLens.Tests.Cli;

public sealed class BadInputCliTests(BadInputFiles files) : IClassFixture<BadInputFiles>
{
    /// <summary>name → (arguments, a fragment the error line must hold). {D}/x is a path in the bad-input folder,
    /// {O} a fresh output path that must not exist afterwards, {M} the stories260K fixture model.</summary>
    static readonly Dictionary<string, (string[] Args, string Expect)> Cases = new()
    {
        // argument parsing (System.CommandLine), one line with a --help pointer
        ["no-command"] = ([], "Required command was not provided"),
        ["unknown-command"] = (["frobnicate"], "Unrecognized command or argument 'frobnicate'"),
        ["inspect-no-dir"] = (["inspect"], "missing argument <model-dir> for 'inspect'"),
        ["run-top-k-not-int"] = (["run", "{D}/x", "--top-k", "five"], "five"),
        ["data-parens-no-out"] = (["data", "parens"], "--out"),
        ["data-parens-bad-variant"] = (["data", "parens", "--out", "{O}", "--variant", "fancy"], "fancy"),
        ["probe-pairs-bad-task"] = (["data", "probe-pairs", "--task", "nonsense", "--source", "{D}", "--out", "{O}"], "nonsense"),
        ["probe-missing-options"] = (["probe", "--model", "{D}/x"], "--pairs"),
        ["train-no-corpus"] = (["train", "--tokenizer", "{D}/tok-ok", "--out", "{O}"], "--corpus"),
        ["template-check-not-a-run"] = (["data", "template-check", "--run", "{D}/tok-ok", "--out", "{O}"], "expected a training run folder with run.json"),
        ["procedural-schedule"] = (["train", "--corpus", "{D}/corpus-empty-files", "--tokenizer", "{D}/tok-ok", "--out", "{O}", "--steps", "2", "--procedural", "calls:0.1", "--procedural-schedule", "later"], "--procedural-schedule must be front or spread, found 'later'"),
        ["tokenizer-no-subcommand"] = (["tokenizer"], "Required command"),
        ["tokenizer-vocab-not-int"] = (["tokenizer", "train", "--corpus", "{D}", "--vocab", "12x", "--out", "{O}"], "12x"),
        ["ssm-kernels-no-model"] = (["ssm-kernels", "--out", "{O}"], "model-dir"),
        ["run-no-lm-head"] = (["run", "{D}/no-lm-head", "--ids", "1,2"], "has no LM head"),
        ["verify-one-argument"] = (["verify", "{D}/x"], "missing argument <reference> for 'verify'"),
        ["tokenize-unknown-option"] = (["tokenize", "{D}/tok-ok", "--texts", "a"], "--texts"),
        ["inspect-dtype"] = (["inspect", "{D}/cfg-type", "--dtype", "float16"], "--dtype must be float32 or bfloat16, found 'float16'"),

        // model folders and config.json
        ["inspect-missing-folder"] = (["inspect", "{D}/nowhere"], "model folder not found"),
        ["inspect-no-config"] = (["inspect", "{D}/no-config"], "config.json not found"),
        ["inspect-no-weights"] = (["inspect", "{D}/no-weights"], "no weights found"),
        ["config-malformed-json"] = (["inspect", "{D}/cfg-malformed"], "malformed JSON"),
        ["config-not-object"] = (["inspect", "{D}/cfg-array"], "expected a JSON object"),
        ["config-unknown-model-type"] = (["inspect", "{D}/cfg-type"], "model_type 't5' is not supported"),
        ["config-negative-width"] = (["inspect", "{D}/cfg-negative"], "key 'n_embd' should be an integer in [1, 131072], found -8"),
        ["config-zero-heads"] = (["inspect", "{D}/cfg-zero-heads"], "key 'num_attention_heads' should be an integer in [1, 4096], found 0"),
        ["config-absurd-layers"] = (["inspect", "{D}/cfg-layers"], "key 'num_hidden_layers' should be an integer in [1, 1024], found 1000000"),
        ["config-absurd-width"] = (["inspect", "{D}/cfg-width"], "key 'hidden_size' should be an integer in [1, 131072], found 1073741824"),
        ["config-heads-do-not-divide"] = (["inspect", "{D}/cfg-heads-divide"], "n_embd"),
        ["config-wrong-type"] = (["inspect", "{D}/cfg-string"], "key 'hidden_size' should be an integer, found \"big\""),
        ["config-larger-than-weights"] = (["inspect", "{D}/cfg-budget"], "describes a larger model than"),
        ["config-absurd-positions"] = (["inspect", "{D}/cfg-positions"], "max_position_embeddings"),
        ["config-negative-vocab"] = (["inspect", "{D}/cfg-vocab"], "key 'vocab_size' should be an integer in [1, 4194304], found -5"),
        ["config-invalid-utf8"] = (["inspect", "{D}/cfg-utf8"], "invalid UTF-8 at byte offset 29"),

        // safetensors
        ["safetensors-short"] = (["inspect", "{D}/st-short"], "8-byte header length"),
        ["safetensors-header-past-end"] = (["inspect", "{D}/st-header-past-end"], "runs past the end of the file"),
        ["safetensors-header-json"] = (["inspect", "{D}/st-header-json"], "header is not valid JSON"),
        ["safetensors-shape-overflow"] = (["inspect", "{D}/st-shape-overflow"], "overflows 64-bit byte sizes"),
        ["safetensors-negative-dim"] = (["inspect", "{D}/st-negative-dim"], "bad dimension -1"),
        ["safetensors-overlap"] = (["inspect", "{D}/st-overlap"], "overlaps the previous tensor"),
        ["safetensors-dtype"] = (["inspect", "{D}/st-dtype"], "unsupported safetensors dtype 'Q4'"),
        ["safetensors-past-data"] = (["inspect", "{D}/st-past-data"], "past the data buffer"),

        // PyTorch zip checkpoints and their pickles (never executed)
        ["torch-not-zip"] = (["inspect", "{D}/pt-not-zip"], "not a zip archive"),
        ["torch-no-pickle"] = (["inspect", "{D}/pt-no-pkl"], "expected exactly one '<name>/data.pkl'"),
        ["pickle-malicious-global"] = (["inspect", "{D}/pt-malicious"], "global 'os.system' is not allowed"),
        ["pickle-cycle-in-wrapper"] = (["inspect", "{D}/pt-cycle-wrapper"], "contains itself (a cycle)"),
        ["pickle-cycle-in-flatten"] = (["inspect", "{D}/pt-cycle-flatten"], "contains itself (a cycle)"),
        ["pickle-deep-nesting"] = (["inspect", "{D}/pt-deep"], "nested deeper than 100 levels"),
        ["pickle-truncated"] = (["inspect", "{D}/pt-truncated"], "unexpected end of pickle data"),
        ["pickle-unicode8-length"] = (["inspect", "{D}/pt-unicode8"], "BINUNICODE8 length out of range"),
        ["pickle-stride-overflow"] = (["inspect", "{D}/pt-stride"], "overflows 64 bits"),

        // run / verify options checked before any model is loaded
        ["run-neither-prompt-nor-ids"] = (["run", "{D}/x"], "give exactly one of --prompt or --ids"),
        ["run-ids-not-integers"] = (["run", "{D}/x", "--ids", "1,x"], "--ids: 'x' is not an integer"),
        ["run-ids-empty-sequence"] = (["run", "{D}/x", "--ids", "1,2;"], "--ids has an empty sequence"),
        ["run-top-k-zero"] = (["run", "{D}/x", "--ids", "1", "--top-k", "0"], "--top-k must be ≥ 1, found 0"),
        ["run-hooks-without-dump"] = (["run", "{D}/x", "--ids", "1", "--hooks", "blocks.0.hook_resid_pre"], "--hooks needs --dump"),
        ["run-dump-is-a-folder"] = (["run", "{D}/x", "--ids", "1", "--dump", "{D}"], "--dump expects a file path, found a folder"),
        ["verify-missing-model"] = (["verify", "{D}/nowhere", "{D}/inputs/garbage.safetensors"], "model folder not found"),

        // tokenize and tokenizer files
        ["tokenize-missing-folder"] = (["tokenize", "{D}/nowhere", "--text", "a"], "cannot load a tokenizer"),
        ["tokenize-no-input"] = (["tokenize", "{D}/tok-ok"], "give exactly one of --text TEXT or --jsonl FILE"),
        ["tokenizer-json-malformed"] = (["tokenize", "{D}/tok-malformed", "--text", "a"], "malformed JSON"),
        ["tokenizer-absurd-id"] = (["tokenize", "{D}/tok-absurd-id", "--text", "a"], "has id 2147483647; expected ids in [0, 2)"),
        ["tokenizer-negative-id"] = (["tokenize", "{D}/tok-negative-id", "--text", "a"], "has id -1"),
        ["tokenizer-added-absurd-id"] = (["tokenize", "{D}/tok-added-absurd", "--text", "a"], "added token id 2000000000 is outside [0, 2)"),
        ["tokenizer-added-string-id"] = (["tokenize", "{D}/tok-added-string-id", "--text", "a"], "expected an integer added-token id"),
        ["tokenizer-unsupported-model"] = (["tokenize", "{D}/tok-wordpiece", "--text", "a"], "model type 'WordPiece' is not supported"),
        ["tokenize-jsonl-malformed"] = (["tokenize", "{D}/tok-ok", "--jsonl", "{D}/inputs/bad-json.jsonl"], "bad-json.jsonl:1: malformed JSON"),
        ["tokenize-jsonl-invalid-utf8"] = (["tokenize", "{D}/tok-ok", "--jsonl", "{D}/inputs/bad-utf8.jsonl"], "bad-utf8.jsonl: invalid UTF-8 at byte offset 11"),
        ["tokenize-jsonl-missing"] = (["tokenize", "{D}/tok-ok", "--jsonl", "{D}/inputs/none.jsonl"], "file not found"),
        ["tokenize-jsonl-empty"] = (["tokenize", "{D}/tok-ok", "--jsonl", "{D}/inputs/empty.jsonl"], "found none"),

        // tokenizer train
        ["tokenizer-train-binary-corpus"] = (["tokenizer", "train", "--corpus", "{D}/corpus-binary", "--out", "{O}"], "a.py: invalid UTF-8 at byte offset 2"),
        ["tokenizer-train-absurd-vocab"] = (["tokenizer", "train", "--corpus", "{D}/corpus-empty-files", "--vocab", "2147483647", "--out", "{O}"], "--vocab must be in [262, 1048576]"),
        ["tokenizer-train-tiny-vocab"] = (["tokenizer", "train", "--corpus", "{D}/corpus-empty-files", "--vocab", "10", "--out", "{O}"], "--vocab must be in [262, 1048576], found 10"),
        ["tokenizer-train-min-frequency"] = (["tokenizer", "train", "--corpus", "{D}/corpus-empty-files", "--min-frequency", "0", "--out", "{O}"], "--min-frequency must be ≥ 1, found 0"),
        ["tokenizer-train-missing-corpus"] = (["tokenizer", "train", "--corpus", "{D}/nowhere", "--out", "{O}"], "--corpus: expected a folder"),
        ["tokenizer-train-no-files"] = (["tokenizer", "train", "--corpus", "{D}/corpus-none", "--out", "{O}"], "expected files matching '*.py'"),
        ["tokenizer-train-empty-files"] = (["tokenizer", "train", "--corpus", "{D}/corpus-empty-files", "--out", "{O}"], "are all empty"),
        ["tokenizer-train-out-is-file"] = (["tokenizer", "train", "--corpus", "{D}/corpus-empty-files", "--out", "{D}/a-file"], "--out expects a folder, found a file"),

        // data
        ["data-parens-bad-depths"] = (["data", "parens", "--out", "{O}", "--depths", "4-1"], "depth"),
        ["data-parens-absurd-depths"] = (["data", "parens", "--out", "{O}", "--depths", "1-2000000000"], "each in [1, 64]"),
        ["data-parens-absurd-sizes"] = (["data", "parens", "--out", "{O}", "--per-depth", "1000000/1000000/0"], "expected at most 1,000,000 examples per depth"),
        ["parens-absurd-n"] = (["parens", "--model", "{D}/x", "--out", "{O}", "--n", "2000000000"], "--n must be in [1, 1000000], found 2000000000"),
        ["data-parens-bad-sizes"] = (["data", "parens", "--out", "{O}", "--per-depth", "lots"], "lots"),
        ["data-parens-mined-no-source"] = (["data", "parens", "--out", "{O}", "--variant", "mined"], "--variant mined expects --source DIR"),
        ["data-parens-mined-nothing"] = (["data", "parens", "--out", "{O}", "--variant", "mined", "--source", "{D}/source-no-code"], "found none (pass --allow-empty"),
        ["data-parens-empty-split"] = (["data", "parens", "--out", "{O}", "--per-depth", "0/0/0"], "expected at least one template example"),
        ["data-parens-out-is-folder"] = (["data", "parens", "--out", "{D}"], "--out expects a file path, found a folder"),
        ["data-parens-max-closed"] = (["data", "parens", "--out", "{O}", "--variant", "closed", "--max-closed", "0"], "--max-closed must be ≥ 1, found 0"),
        ["data-probe-pairs-nothing"] = (["data", "probe-pairs", "--task", "sibling", "--source", "{D}/source-no-functions", "--out", "{O}"], "found none (pass --allow-empty"),
        ["data-probe-pairs-missing-source"] = (["data", "probe-pairs", "--task", "sibling", "--source", "{D}/nowhere", "--out", "{O}"], "nowhere"),
        ["data-probe-pairs-max-functions"] = (["data", "probe-pairs", "--task", "sibling", "--source", "{D}", "--max-functions", "0", "--out", "{O}"], "--max-functions must be ≥ 1, found 0"),

        // ssm-kernels, probe, parens, train, finetune
        ["ssm-kernels-absurd-length"] = (["ssm-kernels", "{D}/x", "--length", "2000000000", "--out", "{O}"], "--length must be in [2, 65536], found 2000000000"),
        ["ssm-kernels-zero-length"] = (["ssm-kernels", "{D}/x", "--length", "0", "--out", "{O}"], "--length must be in [2, 65536], found 0"),
        ["ssm-kernels-out-is-file"] = (["ssm-kernels", "{D}/x", "--out", "{D}/a-file"], "--out expects a folder, found a file"),
        ["ssm-kernels-missing-model"] = (["ssm-kernels", "{D}/nowhere", "--out", "{O}"], "model folder not found"),
        ["probe-zero-clusters"] = (["probe", "--model", "{D}/x", "--pairs", "{D}/x", "--clusters-per-label", "0", "--out", "{O}"], "must be ≥ 1"),
        ["probe-bad-layers"] = (["probe", "--model", "{D}/x", "--pairs", "{D}/x", "--layers", "a,b", "--out", "{O}"], "--layers expects comma-separated non-negative integers, found 'a'"),
        ["probe-missing-pairs"] = (["probe", "--model", "{D}/x", "--pairs", "{D}/inputs/none.jsonl", "--out", "{O}"], "pairs file not found"),
        ["probe-bad-pairs"] = (["probe", "--model", "{D}/x", "--pairs", "{D}/inputs/pairs-bad.jsonl", "--out", "{O}"], "pairs-bad.jsonl:1"),
        ["probe-out-is-file"] = (["probe", "--model", "{D}/x", "--pairs", "{D}/x", "--out", "{D}/a-file"], "--out expects a folder, found a file"),
        ["parens-zero-n"] = (["parens", "--model", "{D}/x", "--out", "{O}", "--n", "0"], "--n must be in [1, 1000000], found 0"),
        ["parens-out-is-file"] = (["parens", "--model", "{D}/x", "--out", "{D}/a-file"], "--out expects a folder, found a file"),
        ["parens-missing-model"] = (["parens", "--model", "{D}/nowhere", "--out", "{O}"], "model folder not found"),
        ["parens-shard-index-past-count"] = (["parens", "--model", "{D}/x", "--out", "{O}", "--shard", "4/4"], "--shard I/N needs 0 ≤ I < N, found I = 4 with N = 4"),
        ["parens-shard-zero-count"] = (["parens", "--model", "{D}/x", "--out", "{O}", "--shard", "0/0"], "--shard I/N needs N ≥ 1, found N = 0"),
        ["parens-shard-not-i-of-n"] = (["parens", "--model", "{D}/x", "--out", "{O}", "--shard", "half"], "--shard expects I/N (shard I of N, 0-based, e.g. 0/4), found 'half'"),
        ["parens-stage-without-shard"] = (["parens", "--model", "{D}/x", "--out", "{O}", "--stage", "ablate"], "--stage ablate needs --shard I/N"),
        ["parens-bad-stage"] = (["parens", "--model", "{D}/x", "--out", "{O}", "--shard", "0/2", "--stage", "reduce"], "--stage must be measure or ablate, found 'reduce'"),
        ["merge-missing-run"] = (["merge", "{D}/nowhere"], "run folder not found"),
        ["merge-not-a-run"] = (["merge", "{D}"], "expected manifest.json (written by the first `sharplens parens|probe|ssm-study|parens-dynamics|data … --shard I/N"),
        ["slurm-no-study"] = (["slurm"], "Required command"),
        ["slurm-array-zero"] = (["slurm", "parens", "--model", "{D}/x", "--out", "{O}", "--array", "0"], "--array must be in [1, 100000], found 0"),
        ["slurm-wait-without-submit"] = (["slurm", "parens", "--model", "{D}/x", "--out", "{O}", "--array", "2", "--wait"], "--wait follows submitted jobs; it needs --submit"),
        ["slurm-missing-model"] = (["slurm", "parens", "--model", "{D}/nowhere", "--out", "{O}", "--array", "2"], "model folder not found"),
        ["probe-shard-bad"] = (["probe", "--model", "{D}/x", "--pairs", "{D}/x", "--out", "{O}", "--shard", "3/2"], "--shard I/N needs 0 ≤ I < N, found I = 3 with N = 2"),
        ["ssm-study-shard-with-source"] = (["ssm-study", "--out", "{O}", "--source", "{D}", "--shard", "0/2"], "--shard needs --pairs-dir, found --source"),
        ["slurm-probe-bad-option"] = (["slurm", "probe", "--out", "{O}", "--array", "2", "--", "--model", "{D}/x", "--pairs", "{D}/x", "--bogus"], "probe options: Unrecognized command or argument '--bogus'"),
        ["slurm-probe-shard-taken"] = (["slurm", "probe", "--out", "{O}", "--array", "2", "--", "--model", "{D}/x", "--pairs", "{D}/x", "--shard", "0/2"], "--shard is set by `slurm probe`"),
        ["slurm-ssm-study-source"] = (["slurm", "ssm-study", "--out", "{O}", "--array", "2", "--", "--source", "{D}"], "--shard needs --pairs-dir, found --source"),
        ["data-parens-shard-past-count"] = (["data", "parens", "--variant", "mined", "--source", "{D}", "--out", "{O}", "--shard", "2/2"], "--shard I/N needs 0 ≤ I < N, found I = 2 with N = 2"),
        ["data-probe-pairs-shard-zero-count"] = (["data", "probe-pairs", "--task", "sibling", "--source", "{D}", "--out", "{O}", "--shard", "0/0"], "--shard I/N needs N ≥ 1, found N = 0"),
        ["data-parens-shard-template"] = (["data", "parens", "--out", "{O}", "--shard", "0/2"], "--shard needs --variant mined (its source files are the work units), found --variant template"),
        ["parens-dynamics-shard-past-count"] = (["parens-dynamics", "--checkpoints", "{D}/no-config", "--out", "{O}", "--shard", "3/3"], "--shard I/N needs 0 ≤ I < N, found I = 3 with N = 3"),
        ["slurm-data-parens-not-mined"] = (["slurm", "data-parens", "--out", "{O}", "--array", "2", "--", "--source", "{D}"], "--shard needs --variant mined"),
        ["slurm-parens-dynamics-missing-folder"] = (["slurm", "parens-dynamics", "--out", "{O}", "--array", "2", "--", "--checkpoints", "{D}/nowhere"], "checkpoint folder not found"),
        ["merge-bad-step"] = (["merge", "{D}", "--step", "all"], "--step must be means or report, found 'all'"),
        ["parens-dynamics-no-checkpoints"] = (["parens-dynamics", "--checkpoints", "--out", "{O}"], "expected at least one checkpoint folder, found an empty list"),
        ["parens-dynamics-missing-folder"] = (["parens-dynamics", "--checkpoints", "{D}/nowhere", "--out", "{O}"], "checkpoint folder not found"),
        ["parens-dynamics-not-a-model"] = (["parens-dynamics", "--checkpoints", "{D}/no-config", "--out", "{O}"], "expected a model folder named step_N"),
        ["parens-dynamics-no-step-in-name"] = (["parens-dynamics", "--checkpoints", "{D}/no-weights", "--out", "{O}"], "expected the folder name step_N"),
        ["parens-dynamics-zero-top-k"] = (["parens-dynamics", "--checkpoints", "{D}/no-config", "--out", "{O}", "--top-k", "0"], "--top-k must be in [1, 4096], found 0"),
        ["train-bad-objective"] = (["train", "--corpus", "{D}/corpus-none", "--tokenizer", "{D}/tok-ok", "--out", "{O}", "--objective", "gan"], "--objective must be clm or mlm, found 'gan'"),
        ["train-bad-precision"] = (["train", "--corpus", "{D}/corpus-empty-files", "--tokenizer", "{D}/tok-ok", "--out", "{O}", "--steps", "2", "--precision", "fp16"], "--precision must be bf16, fp32 or auto, found 'fp16'"),
        ["train-unknown-procedural"] = (["train", "--corpus", "{D}/corpus-empty-files", "--tokenizer", "{D}/tok-ok", "--out", "{O}", "--steps", "2", "--procedural", "fractal:0.1"], "--procedural kind 'fractal' is unknown"),
        ["train-procedural-fraction"] = (["train", "--corpus", "{D}/corpus-empty-files", "--tokenizer", "{D}/tok-ok", "--out", "{O}", "--steps", "2", "--procedural", "dyck:1.5"], "must be a number in (0, 1), found '1.5'"),
        ["train-procedural-sum"] = (["train", "--corpus", "{D}/corpus-empty-files", "--tokenizer", "{D}/tok-ok", "--out", "{O}", "--steps", "2", "--procedural", "dyck:0.5,copy:0.6"], "add up to less than 1"),
        ["train-corpus-weight"] = (["train", "--corpus", "{D}/corpus-empty-files@0", "--tokenizer", "{D}/tok-ok", "--out", "{O}", "--steps", "2"], "the weight after '@' must be a number > 0, found '0'"),
        ["train-corpus-no-match"] = (["train", "--corpus", "{D}/corpus-empty-files:*.rs", "--tokenizer", "{D}/tok-ok", "--out", "{O}", "--steps", "2"], "no files matching '*.rs'"),
        ["train-corpus-bad-manifest"] = (["train", "--corpus", "{D}/corpus-bad.json", "--tokenizer", "{D}/tok-ok", "--out", "{O}", "--steps", "2"], "is not valid JSON"),
        ["train-absurd-layers"] = (["train", "--corpus", "{D}/corpus-empty-files", "--tokenizer", "{D}/tok-ok", "--out", "{O}", "--steps", "2", "--layers", "1000000"], "--layers must be in [1, 1024], found 1000000"),
        ["train-absurd-seq-len"] = (["train", "--corpus", "{D}/corpus-empty-files", "--tokenizer", "{D}/tok-ok", "--out", "{O}", "--steps", "2", "--seq-len", "100000000"], "--seq-len must be in [2, 65536], found 100000000"),
        ["train-zero-batch"] = (["train", "--corpus", "{D}/corpus-empty-files", "--tokenizer", "{D}/tok-ok", "--out", "{O}", "--steps", "2", "--batch", "0"], "--batch must be in [1, 65536], found 0"),
        ["train-activations-too-large"] = (["train", "--corpus", "{D}/corpus-empty-files", "--tokenizer", "{D}/tok-ok", "--out", "{O}", "--steps", "2", "--batch", "65536", "--seq-len", "65536"], "GiB of activations"),
        ["train-bad-threads"] = (["train", "--corpus", "{D}/corpus-empty-files", "--tokenizer", "{D}/tok-ok", "--out", "{O}", "--steps", "2", "--threads", "zero"], "--threads must be a whole number ≥ 1 or auto, found 'zero'"),
        ["train-bad-holdout"] = (["train", "--corpus", "{D}/corpus-empty-files", "--tokenizer", "{D}/tok-ok", "--out", "{O}", "--steps", "2", "--holdout", "1"], "the held-out fraction must be in [0, 1), found 1"),
        ["train-tokenizer-overwrite"] = (["train", "--corpus", "{D}/corpus-empty-files", "--tokenizer", "{D}/tok-ok", "--out", "{O}", "--steps", "2", "--train-tokenizer", "300"], "already holds a tokenizer.json"),
        ["finetune-bad-precision"] = (["finetune", "--task", "type-kind", "--model", "{D}/x", "--corpus", "{D}", "--out", "{O}", "--precision", "half"], "--precision must be bf16, fp32 or auto, found 'half'"),
        ["finetune-absurd-seq-len"] = (["finetune", "--task", "type-kind", "--model", "{D}/x", "--corpus", "{D}", "--out", "{O}", "--seq-len", "100000000"], "--seq-len must be in [2, 8192], found 100000000"),
        ["finetune-zero-batch"] = (["finetune", "--task", "type-kind", "--model", "{D}/x", "--corpus", "{D}", "--out", "{O}", "--batch", "0"], "--batch must be in [1, 4096], found 0"),
        ["finetune-bad-task"] = (["finetune", "--task", "poetry", "--model", "{D}/x", "--corpus", "{D}", "--out", "{O}"], "--task must be type-kind, doc-retrieval, type-inference or code-search, found 'poetry'"),

        // SSM-Interpret pipeline: functions corpus, fine-tuning data and roles, sizes, study manifests
        ["data-functions-missing-source"] = (["data", "functions", "--source", "{D}/nowhere", "--out", "{O}"], "corpus folder not found"),
        ["data-functions-no-functions"] = (["data", "functions", "--source", "{D}/source-no-functions", "--out", "{O}"], "expected Python functions in the sources, found none"),
        ["data-functions-fractions"] = (["data", "functions", "--source", "{D}/source-no-functions", "--valid", "0.5", "--test", "0.6", "--out", "{O}"], "with a sum below 1, found 0.5 and 0.6"),
        ["finetune-no-data"] = (["finetune", "--task", "type-inference", "--model", "{D}/enc-bigs", "--out", "{O}"], "expects --data DIR"),
        ["finetune-no-labelled-tokens"] = (["finetune", "--task", "type-inference", "--model", "{D}/enc-bigs", "--data", "{D}/functions-plain", "--out", "{O}"], "expected labelled tokens (annotations or literal assignments)"),
        ["finetune-no-pairs"] = (["finetune", "--task", "code-search", "--model", "{D}/enc-bigs", "--data", "{D}/functions-plain", "--out", "{O}"], "expected at least --batch 16 (docstring, code) pairs, found 0"),
        ["finetune-too-few-eval-pairs"] = (["finetune", "--task", "code-search", "--model", "{D}/enc-bigs", "--data", "{D}/functions-one-pair", "--batch", "1", "--out", "{O}"], "test.jsonl: expected at least --eval-pairs 1000 (docstring, code) pairs, found 1"),
        ["finetune-wrong-role"] = (["finetune", "--task", "type-inference", "--model", "{D}/enc-bigs", "--data", "{D}/functions-plain", "--role", "rocoder", "--out", "{O}"], "role rocoder expects roformer, found model_type BiGS"),
        ["finetune-not-an-encoder"] = (["finetune", "--task", "code-search", "--model", "{D}/enc-gpt2", "--data", "{D}/functions-plain", "--out", "{O}"], "fine-tuning needs an encoder"),
        ["finetune-seq-len-past-positions"] = (["finetune", "--task", "code-search", "--model", "{D}/enc-bigs", "--data", "{D}/functions-plain", "--seq-len", "600", "--out", "{O}"], "--seq-len 600 exceeds"),
        ["finetune-missing-data"] = (["finetune", "--task", "code-search", "--model", "{D}/enc-bigs", "--data", "{D}/nowhere", "--out", "{O}"], "expected a folder from `sharplens data functions`"),
        ["train-eval-mlm-on-clm"] = (["train", "--corpus", "{D}/corpus-empty-files", "--tokenizer", "{D}/tok-ok", "--out", "{O}", "--steps", "2", "--eval-mlm", "{D}/functions-plain/test.jsonl"], "--eval-mlm needs --objective mlm, found clm"),
        ["train-eval-mlm-missing"] = (["train", "--arch", "bigs", "--objective", "mlm", "--corpus", "{D}/corpus-empty-files", "--tokenizer", "{D}/tok-ok", "--out", "{O}", "--steps", "2", "--eval-mlm", "{D}/none.jsonl"], "--eval-mlm: functions file not found"),
        ["ssm-sizes-too-far-apart"] = (["ssm-sizes", "--tokenizer", "{D}/enc-bigs", "--layers", "1", "--d-model", "8", "--heads", "2", "--d-state", "4", "--conv-kernel", "64"], "expected parameter counts within 5 %"),
        ["card-missing-folder"] = (["card", "{D}/nowhere"], "expected a model folder, found no folder"),
        ["card-no-config"] = (["card", "{D}/no-config"], "expected a model folder with config.json, found none"),
        ["card-scores-missing"] = (["card", "--scores", "{D}/none.json"], "--scores expects a study manifest file"),
        ["ssm-study-missing-folder"] = (["ssm-study", "--manifest", "{D}/study-missing.json", "--out", "{O}", "--pairs-dir", "{D}/pairs"], "model folder not found"),
        ["ssm-study-role-twice"] = (["ssm-study", "--manifest", "{D}/study-twice.json", "--out", "{O}", "--pairs-dir", "{D}/pairs"], "expected each role/variant once, found codessm/pretrained 2 times"),
    };

    /// <summary>Cases that need a working model (the stories260K fixture).</summary>
    static readonly Dictionary<string, (string[] Args, string Expect)> ModelCases = new()
    {
        ["run-id-outside-vocab"] = (["run", "{M}", "--ids", "1,999999"], "token id 999999 is outside the vocabulary"),
        ["run-negative-id"] = (["run", "{M}", "--ids", "-1"], "token id -1 is outside the vocabulary"),
        ["run-unknown-hook"] = (["run", "{M}", "--ids", "1", "--hooks", "blocks.0.attn.hook_patern", "--dump", "{O}"], "hook_patern"),
        ["verify-garbage-reference"] = (["verify", "{M}", "{D}/inputs/garbage.safetensors"], "garbage.safetensors"),
        ["ssm-kernels-on-a-transformer"] = (["ssm-kernels", "{M}", "--out", "{O}"], "has no SSM kernels"),
        ["ssm-kernels-on-transformer-with-bad-inputs"] = (["ssm-kernels", "{M}", "--inputs", "{D}/inputs/ids-bad.jsonl", "--out", "{O}"], "has no SSM kernels"),
    };

    public static TheoryData<string> Names() => new(Cases.Keys);
    public static TheoryData<string> ModelNames() => new(ModelCases.Keys);

    /// <summary>The commands this table was written for; commands added since are covered by ErrorPathTests until they get rows.</summary>
    static readonly string[] Covered = ["inspect", "run", "verify", "tokenize", "data", "ssm-kernels", "train", "finetune", "tokenizer", "probe", "parens", "parens-dynamics", "ssm-sizes", "ssm-study", "merge", "slurm", "card"];

    [Fact]
    public void The_table_has_at_least_60_cases_across_the_commands()
    {
        Assert.True(Cases.Count + ModelCases.Count >= 60, $"{Cases.Count + ModelCases.Count} cases");
        var commands = Cases.Values.Concat(ModelCases.Values).Where(c => c.Args.Length > 0).Select(c => c.Args[0]).ToHashSet();
        foreach (var c in Covered) Assert.Contains(c, commands);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Bad_input_is_refused_with_one_error_line(string name) => Check(name, Cases[name]);

    [FixtureTheory]
    [MemberData(nameof(ModelNames))]
    public void Bad_input_to_a_working_model_is_refused_with_one_error_line(string name) => Check(name, ModelCases[name]);

    void Check(string name, (string[] Args, string Expect) c)
    {
        var output = files.P("out-" + name);
        var args = c.Args.Select(a => a.Replace("{D}", files.Dir).Replace("{O}", output)
            .Replace("{M}", a.Contains("{M}") ? Fixtures.Model("stories260K") : "")).ToArray();
        var (code, stderr) = Support.Cli.Run(args);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(code == 2, $"{name}: exit {code}, stderr:\n{stderr}");
        var error = Assert.Single(lines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains(c.Expect, error);
        Assert.DoesNotContain("internal error", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.False(File.Exists(output) || Directory.Exists(output), $"{name}: {output} was written");
        Assert.Empty(Directory.EnumerateFileSystemEntries(files.Dir, ".*tmp*"));
    }
}
