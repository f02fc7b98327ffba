//! Interop with the tools people use: gensim reads our word2vec text and
//! binary exports and we read gensim's (text, binary, gzip); the safetensors package (numpy)
//! reads our tensors file.
//!
//! Needs a Python with gensim and safetensors: `RECSYS_PYTHON`, or `.venv/` made from
//! `tests/requirements.txt` by README's test command. Without one these tests fail, so they
//! cannot pass vacuously.

mod common;
use common::*;

#[test]
fn gensim_and_safetensors_read_our_files() {
    let dir = tempdir("interop");
    let model = train_synthetic(&dir, 12);
    let txt = dir.join("v.txt");
    let bin = dir.join("v.bin");
    ok(&[
        "export",
        "--format",
        "word2vec",
        "--model",
        model.to_str().unwrap(),
        "--out",
        txt.to_str().unwrap(),
    ]);
    ok(&[
        "export",
        "--format",
        "word2vec-bin",
        "--model",
        model.to_str().unwrap(),
        "--out",
        bin.to_str().unwrap(),
    ]);
    let m = recsys::checkpoint::load(&model).unwrap();
    let table = &m.tables["item/embedding"];
    let key = m.vocab("item").unwrap().key(5).unwrap().to_string();
    let script = format!(
        r#"
import json, sys
import numpy as np
from gensim.models import KeyedVectors
from safetensors.numpy import load_file
t = KeyedVectors.load_word2vec_format({txt:?}, binary=False)
b = KeyedVectors.load_word2vec_format({bin:?}, binary=True)
st = load_file({st:?})
print(json.dumps({{
  "n": len(t.index_to_key), "dim": t.vector_size, "nb": len(b.index_to_key),
  "row": [float(x) for x in t[{key:?}]], "rowb": [float(x) for x in b[{key:?}]],
  "same": bool(np.array_equal(t.vectors, b.vectors)),
  "st_shape": list(st["item/embedding"].shape), "st_dtype": str(st["item/embedding"].dtype),
  "st_equal": bool(np.array_equal(st["item/embedding"], b.vectors)),
  "seen": list(st["seen/indptr"].shape),
}}))
"#,
        txt = txt.to_str().unwrap(),
        bin = bin.to_str().unwrap(),
        st = model.join("tensors.safetensors").to_str().unwrap(),
        key = key,
    );
    let v = run_python(&script, &[]);
    assert_eq!(v["n"], table.nrows());
    assert_eq!(v["nb"], table.nrows());
    assert_eq!(v["dim"], 12);
    let row: Vec<f32> = v["row"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    assert_eq!(row, table.row(5).to_vec());
    assert_eq!(v["rowb"], v["row"]);
    assert_eq!(v["same"], true);
    assert_eq!(v["st_shape"], serde_json::json!([table.nrows(), 12]));
    assert_eq!(v["st_dtype"], "float32");
    assert_eq!(
        v["st_equal"], true,
        "safetensors rows are in vocabulary order"
    );
    assert_eq!(
        v["seen"],
        serde_json::json!([m.vocab("user").unwrap().len() + 1])
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Files gensim writes (word2vec text, binary, gzip text) read back by recsys with identical
/// keys and vectors, and usable as a prior through `--init-from`.
#[test]
fn recsys_reads_gensim_written_files() {
    let dir = tempdir("interop-gensim");
    let script = format!(
        r#"
import json, numpy as np
from gensim.models import KeyedVectors
rng = np.random.default_rng(7)
keys = ["the", "café", "naïve", "a_b", "x"] + [f"w{{i}}" for i in range(40)]
kv = KeyedVectors(vector_size=9)
kv.add_vectors(keys, rng.standard_normal((len(keys), 9)).astype(np.float32))
kv.save_word2vec_format({txt:?}, binary=False)
kv.save_word2vec_format({bin:?}, binary=True)
kv.save_word2vec_format({gz:?}, binary=False)
print(json.dumps({{"keys": list(kv.index_to_key), "vectors": [[float(x) for x in r] for r in kv.vectors]}}))
"#,
        txt = dir.join("g.txt").to_str().unwrap(),
        bin = dir.join("g.bin").to_str().unwrap(),
        gz = dir.join("g.txt.gz").to_str().unwrap(),
    );
    let v = run_python(&script, &[]);
    let keys: Vec<String> = v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    let want: Vec<f32> = v["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
        })
        .collect();
    use recsys::checkpoint::formats::word2vec;
    for (file, binary) in [("g.txt", false), ("g.bin", true), ("g.txt.gz", false)] {
        let (k, t) = word2vec::read(&dir.join(file), binary).unwrap();
        assert_eq!(k, keys, "{file}");
        assert_eq!(t.iter().copied().collect::<Vec<_>>(), want, "{file}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// At the same seed recsys's word2vec starts from gensim 4's initial vectors, word for word and
/// bit for bit (`models::word2vec::init`): the same vocabulary (gensim tokenising with the
/// regex recsys documents) and each word's row of gensim's `prep_vectors` draw. The learning
/// rate 1e-30 keeps training from moving the input vectors (every update underflows to zero),
/// so the saved table is the initial one.
#[test]
fn word2vec_starts_from_gensims_initial_vectors() {
    let dir = tempdir("interop-init");
    let model = dir.join("w2v");
    let lee = datasets().join("lee-corpus/lee_background.cor");
    ok(&[
        "train",
        lee.to_str().unwrap(),
        "--algo",
        "word2vec",
        "--min-count",
        "3",
        "--dim",
        "16",
        "--epochs",
        "1",
        "--lr",
        "1e-30",
        "--seed",
        "7",
        "--threads",
        "1",
        "--model",
        model.to_str().unwrap(),
    ]);
    let script = format!(
        r#"
import json, re
import numpy as np
from gensim.models import Word2Vec
tok = re.compile(r"[a-z]+(?:'[a-z]+)?")
with open({lee:?}, encoding="utf-8") as f:
    corpus = [tok.findall(line.replace("<br />", " ").lower()) for line in f]
m = Word2Vec(vector_size=16, min_count=3, seed=7, workers=1)
m.build_vocab(corpus)
print(json.dumps({{"keys": list(m.wv.index_to_key),
                   "bits": m.wv.vectors.view(np.uint32).tolist()}}))
"#,
        lee = lee.to_str().unwrap(),
    );
    let v = run_python(&script, &[]);
    let m = recsys::checkpoint::load(&model).unwrap();
    let table = &m.tables["word/embedding"];
    let vocab = m.vocab("word").unwrap();
    let keys = v["keys"].as_array().unwrap();
    assert_eq!(keys.len(), vocab.len(), "vocabulary size");
    assert!(keys.len() > 1000, "the Lee corpus has a real vocabulary");
    for (g, key) in keys.iter().enumerate() {
        let key = key.as_str().unwrap();
        let row = vocab
            .get(key)
            .unwrap_or_else(|| panic!("{key:?} not in recsys's vocabulary"))
            as usize;
        let want: Vec<u64> = v["bits"][g]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect();
        let got: Vec<u64> = table
            .row(row)
            .iter()
            .map(|x| u64::from(x.to_bits()))
            .collect();
        assert_eq!(got, want, "initial vector of {key:?} (gensim row {g})");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// gensim's own test files (in its package's `test/test_data`) load through `--init-from`'s
/// reader with the keys and values gensim itself reads, bit for bit: word2vec C text, word2vec
/// binary, fastText's `.vec`, GloVe without a header, and a float64-precision text file.
#[test]
fn gensims_test_files_load_as_gensim_reads_them() {
    let files = [
        ("word2vec_pre_kv_c", "word2vec"),
        ("euclidean_vectors.bin", "word2vec-bin"),
        ("lee_fasttext.vec", "word2vec"),
        ("test_glove.txt", "glove"),
        ("toy-model.vec", "word2vec"),
        ("crime-and-punishment.vec", "word2vec"),
        ("high_precision.kv.bin", "word2vec-bin"),
    ];
    let script = format!(
        r#"
import json, os, numpy as np, gensim
from gensim.models import KeyedVectors
d = os.path.join(os.path.dirname(gensim.__file__), "test", "test_data")
out = {{"dir": d}}
for f, kind in {files:?}:
    kv = KeyedVectors.load_word2vec_format(os.path.join(d, f), binary=kind == "word2vec-bin",
                                           no_header=kind == "glove")
    v = kv.vectors.astype(np.float32)
    out[f] = {{"n": len(kv), "dim": kv.vector_size, "keys": [kv.index_to_key[0], kv.index_to_key[-1]],
              "rows": [v[0].view(np.uint32).tolist(), v[-1].view(np.uint32).tolist()]}}
print(json.dumps(out))
"#,
        files = files
            .iter()
            .map(|(f, k)| (f.to_string(), k.to_string()))
            .collect::<Vec<_>>()
    );
    let got = run_python(&script, &[]);
    let dir = std::path::PathBuf::from(got["dir"].as_str().unwrap());
    for (f, kind) in files {
        let want = &got[f];
        let path = dir.join(f);
        let v = json(&ok(&["inspect", path.to_str().unwrap(), "--json"]));
        assert_eq!(v["format"], kind, "{f}");
        let prior = recsys::transfer::TableInit::load(
            &recsys::transfer::PriorSource::new(&path),
            "word/embedding",
            false,
        )
        .unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(prior.keys.len() as u64, want["n"].as_u64().unwrap(), "{f}");
        assert_eq!(
            prior.vectors.ncols() as u64,
            want["dim"].as_u64().unwrap(),
            "{f}"
        );
        for (i, key) in want["keys"].as_array().unwrap().iter().enumerate() {
            let r = prior
                .keys
                .get(key.as_str().unwrap())
                .unwrap_or_else(|| panic!("{f}: no key {key}"));
            let bits: Vec<u64> = prior
                .vectors
                .row(r as usize)
                .iter()
                .map(|x| u64::from(x.to_bits()))
                .collect();
            let want_bits: Vec<u64> = want["rows"][i]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap())
                .collect();
            assert_eq!(bits, want_bits, "{f}: row of {key}");
        }
    }
}
