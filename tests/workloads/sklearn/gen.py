"""gen.py — the scikit-learn acceptance set for the ONNX-ML operators
(issue 17): fitted scikit-learn models on the data sets Debian's
python3-sklearn ships, written as ONNX graphs from their fitted parameters
with python3-onnx's helper (no converter package exists here), with
scikit-learn's own predictions on held-out rows as the expected outputs.

A test-data generator, run by hand; nothing runs Python at test or run time:
    /usr/bin/python3 tests/workloads/sklearn/gen.py tests/workloads/sklearn
writes <case>.onnx and cases.json (inputs and scikit-learn's outputs), which
tests/workloads/sklearn_test.mjs checks `cloister onnx run` against.
Deterministic: fixed seeds and splits.
"""
import base64
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper
from sklearn import datasets, ensemble, preprocessing, svm, tree
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.impute import SimpleImputer

OUT = sys.argv[1]
ML = "ai.onnx.ml"
cases = []


def split(X, y, n_test=40, seed=0):
    rs = np.random.RandomState(seed)
    idx = rs.permutation(len(X))
    te, tr = idx[:n_test], idx[n_test:]
    return X[tr], y[tr], X[te].astype(np.float32), y[te]


def save(name, nodes, inputs, outputs, X, expect, note, tol=1e-4, ml_opset=3):
    g = helper.make_graph(nodes, name, inputs, outputs)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(ML, ml_opset)])
    m.ir_version = 8
    if ml_opset <= 3:  # this python3-onnx (1.12) predates ai.onnx.ml 5
        onnx.checker.check_model(m)
    onnx.save(m, os.path.join(OUT, name + ".onnx"))
    if X.dtype.kind in "US":  # a string tensor: its values as they are
        inp = {"dims": list(X.shape), "strings": [str(v) for v in X.ravel().tolist()]}
    else:  # float32 little-endian, base64: exact and compact
        inp = {"dims": list(X.shape), "f32": base64.b64encode(X.astype("<f4").tobytes()).decode()}
    cases.append({"name": name, "model": name + ".onnx", "note": note, "tol": tol, "input": inp,
                  "expect": {k: [v if isinstance(v, (int, str)) else float("%.9g" % v) for v in np.asarray(a).ravel().tolist()]
                             for k, a in expect.items()}})


def fin(name, C, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, [None, C])


def scaler(sc, C):
    return helper.make_node("Scaler", ["X"], ["Xs"], domain=ML, offset=sc.mean_.astype(np.float32).tolist(),
                            scale=(1.0 / sc.scale_).astype(np.float32).tolist())


# ---- data sets (Debian's python3-sklearn) ----
cancer = datasets.load_breast_cancer()
iris = datasets.load_iris()
wine = datasets.load_wine()
diabetes = datasets.load_diabetes()


# ---- SVMClassifier: SVC (libsvm's one-vs-one; its raw, unflipped coefficients) ----
def svc_case(name, data, kernel, proba, seed, **kw):
    Xtr, ytr, Xte, _ = split(data.data, data.target, seed=seed)
    sc = preprocessing.StandardScaler().fit(Xtr)
    clf = svm.SVC(kernel=kernel, probability=proba, random_state=seed, **kw).fit(sc.transform(Xtr), ytr)
    C = Xtr.shape[1]
    attrs = dict(kernel_type=kernel.upper(), kernel_params=[float(clf._gamma), float(clf.coef0), float(clf.degree)],
                 vectors_per_class=clf.n_support_.tolist(), support_vectors=clf.support_vectors_.ravel().tolist(),
                 coefficients=clf._dual_coef_.ravel().tolist(), rho=clf._intercept_.tolist(),
                 classlabels_ints=[int(c) for c in clf.classes_])
    if proba:
        attrs.update(prob_a=clf._probA.tolist(), prob_b=clf._probB.tolist())
    k = len(clf.classes_)
    zc = k if proba else (k * (k - 1) // 2 if k > 2 else 2)
    node = helper.make_node("SVMClassifier", ["Xs"], ["label", "scores"], domain=ML, **attrs)
    expect = {"label": clf.predict(sc.transform(Xte))}
    if proba:
        expect["scores"] = clf.predict_proba(sc.transform(Xte))
    save(name, [scaler(sc, C), node], [fin("X", C)],
         [helper.make_tensor_value_info("label", TensorProto.INT64, [None]), fin("scores", zc)], Xte, expect,
         f"sklearn SVC({kernel}, probability={proba}) on {name.split('-')[-1]}, scaled")


svc_case("svc-rbf-proba-iris", iris, "rbf", True, 1)
svc_case("svc-poly-votes-wine", wine, "poly", False, 2, degree=3)
svc_case("svc-linear-proba-cancer", cancer, "linear", True, 3)
svc_case("svc-sigmoid-votes-cancer", cancer, "sigmoid", False, 4)


# ---- SVMRegressor: SVR, NuSVR, OneClassSVM ----
def svr_case(name, est, X, y, seed, one_class=False):
    Xtr, ytr, Xte, _ = split(X, y, seed=seed)
    sc = preprocessing.StandardScaler().fit(Xtr)
    est.fit(sc.transform(Xtr), None if one_class else ytr)
    C = Xtr.shape[1]
    node = helper.make_node("SVMRegressor", ["Xs"], ["y"], domain=ML, kernel_type=est.kernel.upper(),
                            kernel_params=[float(est._gamma), float(est.coef0), float(est.degree)],
                            n_supports=int(len(est.support_vectors_)), support_vectors=est.support_vectors_.ravel().tolist(),
                            coefficients=est.dual_coef_.ravel().tolist(), rho=est.intercept_.tolist(),
                            one_class=int(one_class))
    pred = est.predict(sc.transform(Xte))
    save(name, [scaler(sc, C), node], [fin("X", C)], [fin("y", 1)], Xte, {"y": pred},
         f"sklearn {type(est).__name__}({est.kernel}), scaled", tol=1e-3 if not one_class else 0)


svr_case("svr-rbf-diabetes", svm.SVR(kernel="rbf", C=50.0), diabetes.data, diabetes.target, 5)
svr_case("nusvr-linear-diabetes", svm.NuSVR(kernel="linear", C=10.0), diabetes.data, diabetes.target, 6)
svr_case("oneclass-rbf-cancer", svm.OneClassSVM(kernel="rbf", nu=0.2), cancer.data, cancer.target, 7, one_class=True)


# ---- TreeEnsembleClassifier / Regressor from fitted trees ----
def f32_at_most(t):
    """The largest float32 <= t. scikit-learn compares float32 features with
    float64 thresholds; for float32 x, x <= t exactly when x <= this value,
    where rounding t to nearest could flip a feature equal to it."""
    v = np.float32(t)
    if float(v) > t:
        v = np.nextafter(v, np.float32(-np.inf), dtype=np.float32)
    return float(v)


def tree_attrs(trees, weight_of, prefix, scale=1.0):
    """nodes_* and <prefix>_* lists for sklearn trees; weight_of(t, node) ->
    [(target/class id, weight)] at a leaf."""
    a = {k: [] for k in ["nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values", "nodes_modes",
                         "nodes_truenodeids", "nodes_falsenodeids", f"{prefix}_treeids", f"{prefix}_nodeids",
                         f"{prefix}_ids", f"{prefix}_weights"]}
    for ti, t in enumerate(trees):
        tr = t.tree_
        for n in range(tr.node_count):
            leaf = tr.children_left[n] == -1
            a["nodes_treeids"].append(ti)
            a["nodes_nodeids"].append(n)
            a["nodes_featureids"].append(0 if leaf else int(tr.feature[n]))
            a["nodes_values"].append(0.0 if leaf else f32_at_most(tr.threshold[n]))
            a["nodes_modes"].append("LEAF" if leaf else "BRANCH_LEQ")
            a["nodes_truenodeids"].append(0 if leaf else int(tr.children_left[n]))
            a["nodes_falsenodeids"].append(0 if leaf else int(tr.children_right[n]))
            if leaf:
                for cid, w in weight_of(tr, n):
                    a[f"{prefix}_treeids"].append(ti)
                    a[f"{prefix}_nodeids"].append(n)
                    a[f"{prefix}_ids"].append(cid)
                    a[f"{prefix}_weights"].append(float(w) * scale)
    return a


def clf_outputs(k):
    return [helper.make_tensor_value_info("label", TensorProto.INT64, [None]), fin("probabilities", k)]


# GradientBoostingClassifier, binary: one score, one base value (issue 17's wrongly refused form).
Xtr, ytr, Xte, _ = split(cancer.data, cancer.target, seed=8)
gb = ensemble.GradientBoostingClassifier(n_estimators=40, max_depth=3, random_state=8).fit(Xtr, ytr)
init = float(gb._raw_predict_init(Xte[:1].astype(np.float64))[0, 0])
a = tree_attrs([e[0] for e in gb.estimators_], lambda tr, n: [(0, tr.value[n][0][0])], "class", gb.learning_rate)
node = helper.make_node("TreeEnsembleClassifier", ["X"], ["label", "probabilities"], domain=ML,
                        classlabels_int64s=[0, 1], base_values=[init], post_transform="LOGISTIC", **a)
save("gbc-binary-cancer", [node], [fin("X", 30)], clf_outputs(2), Xte,
     {"label": gb.predict(Xte), "probabilities": gb.predict_proba(Xte)},
     "sklearn GradientBoostingClassifier, binary: one score, base_values = [init]")

# GradientBoostingClassifier, 3 classes: one score per class, SOFTMAX.
Xtr, ytr, Xte, _ = split(wine.data, wine.target, seed=9)
gb = ensemble.GradientBoostingClassifier(n_estimators=30, max_depth=2, random_state=9).fit(Xtr, ytr)
init = gb._raw_predict_init(Xte[:1].astype(np.float64))[0].tolist()
a = {}
parts = [tree_attrs([gb.estimators_[i][k] for i in range(gb.n_estimators_)],
                    lambda tr, n, k=k: [(k, tr.value[n][0][0])], "class", gb.learning_rate) for k in range(3)]
for key in parts[0]:  # trees of class k get ids k*T..: one ensemble
    a[key] = []
T = gb.n_estimators_
for k, part in enumerate(parts):
    for key, vals in part.items():
        a[key] += [v + k * T for v in vals] if key.endswith("treeids") else vals
node = helper.make_node("TreeEnsembleClassifier", ["X"], ["label", "probabilities"], domain=ML,
                        classlabels_int64s=[0, 1, 2], base_values=init, post_transform="SOFTMAX", **a)
save("gbc-multiclass-wine", [node], [fin("X", 13)], clf_outputs(3), Xte,
     {"label": gb.predict(Xte), "probabilities": gb.predict_proba(Xte)},
     "sklearn GradientBoostingClassifier, 3 classes, SOFTMAX of per-class scores")

# RandomForestClassifier and DecisionTreeClassifier: mean leaf class distributions.
for name, est, data, seed in [("rfc-iris", ensemble.RandomForestClassifier(n_estimators=15, max_depth=5, random_state=10), iris, 10),
                              ("dtc-cancer", tree.DecisionTreeClassifier(max_depth=6, random_state=11), cancer, 11)]:
    Xtr, ytr, Xte, _ = split(data.data, data.target, seed=seed)
    est.fit(Xtr, ytr)
    trees = est.estimators_ if hasattr(est, "estimators_") else [est]
    k = len(est.classes_)
    a = tree_attrs(trees, lambda tr, n: [(c, v / tr.value[n][0].sum()) for c, v in enumerate(tr.value[n][0])],
                   "class", 1.0 / len(trees))
    node = helper.make_node("TreeEnsembleClassifier", ["X"], ["label", "probabilities"], domain=ML,
                            classlabels_int64s=[int(c) for c in est.classes_], **a)
    save(name, [node], [fin("X", data.data.shape[1])], clf_outputs(k), Xte,
         {"label": est.predict(Xte), "probabilities": est.predict_proba(Xte)},
         f"sklearn {type(est).__name__}: averaged leaf class frequencies")

# Regressors: GradientBoosting (base value + scaled leaves), RandomForest (AVERAGE), DecisionTree.
for name, est, seed in [("gbr-diabetes", ensemble.GradientBoostingRegressor(n_estimators=40, max_depth=3, random_state=12), 12),
                        ("rfr-diabetes", ensemble.RandomForestRegressor(n_estimators=12, max_depth=6, random_state=13), 13),
                        ("dtr-diabetes", tree.DecisionTreeRegressor(max_depth=5, random_state=14), 14)]:
    Xtr, ytr, Xte, _ = split(diabetes.data, diabetes.target, seed=seed)
    est.fit(Xtr, ytr)
    extra = {}
    if isinstance(est, ensemble.GradientBoostingRegressor):
        trees, scale = [e[0] for e in est.estimators_], est.learning_rate
        extra["base_values"] = [float(est._raw_predict_init(Xte[:1].astype(np.float64))[0, 0])]
    elif hasattr(est, "estimators_"):
        trees, scale = est.estimators_, 1.0
        extra["aggregate_function"] = "AVERAGE"
    else:
        trees, scale = [est], 1.0
    a = tree_attrs(trees, lambda tr, n: [(0, tr.value[n][0][0])], "target", scale)
    node = helper.make_node("TreeEnsembleRegressor", ["X"], ["y"], domain=ML, n_targets=1, **a, **extra)
    save(name, [node], [fin("X", 10)], [fin("y", 1)], Xte, {"y": est.predict(Xte)},
         f"sklearn {type(est).__name__}", tol=1e-4)


# ---- TreeEnsemble (ai.onnx.ml 5): the same regressors in the new encoding ----
def tree5_attrs(trees, scale):
    """Interior nodes and leaves as separate lists (children by index into
    one or the other), one root per tree, one (target, weight) per leaf."""
    a = {k: [] for k in ["nodes_featureids", "nodes_truenodeids", "nodes_falsenodeids", "nodes_trueleafs",
                         "nodes_falseleafs", "leaf_targetids", "tree_roots"]}
    splits, modes, weights = [], [], []
    for t in trees:
        tr = t.tree_
        interior = [n for n in range(tr.node_count) if tr.children_left[n] != -1]
        leaves = [n for n in range(tr.node_count) if tr.children_left[n] == -1]
        ni0, nl0 = len(splits), len(weights)
        at = {n: ni0 + i for i, n in enumerate(interior)}
        lat = {n: nl0 + i for i, n in enumerate(leaves)}
        for n in interior:
            a["nodes_featureids"].append(int(tr.feature[n]))
            splits.append(f32_at_most(tr.threshold[n]))
            modes.append(0)  # BRANCH_LEQ
            for side, child in (("true", tr.children_left[n]), ("false", tr.children_right[n])):
                leaf = tr.children_left[child] == -1
                a[f"nodes_{side}leafs"].append(int(leaf))
                a[f"nodes_{side}nodeids"].append(lat[child] - 0 if leaf else at[child])
        for n in leaves:
            a["leaf_targetids"].append(0)
            weights.append(float(tr.value[n][0][0]) * scale)
        a["tree_roots"].append(at[0])
    a["nodes_splits"] = helper.make_tensor("s", TensorProto.FLOAT, [len(splits)], splits)
    a["nodes_modes"] = helper.make_tensor("m", TensorProto.UINT8, [len(modes)], modes)
    a["leaf_weights"] = helper.make_tensor("w", TensorProto.FLOAT, [len(weights)], weights)
    return a


for name, est, seed in [("tree5-gbr-diabetes", ensemble.GradientBoostingRegressor(n_estimators=30, max_depth=3, random_state=26), 26),
                        ("tree5-rfr-diabetes", ensemble.RandomForestRegressor(n_estimators=10, max_depth=6, random_state=27), 27),
                        ("tree5-dtr-diabetes", tree.DecisionTreeRegressor(max_depth=6, random_state=28), 28)]:
    Xtr, ytr, Xte, _ = split(diabetes.data, diabetes.target, seed=seed)
    est.fit(Xtr, ytr)
    extra, nodes = {}, []
    if isinstance(est, ensemble.GradientBoostingRegressor):
        trees, scale = [e[0] for e in est.estimators_], est.learning_rate
        init = float(est._raw_predict_init(Xte[:1].astype(np.float64))[0, 0])
    elif hasattr(est, "estimators_"):
        trees, scale, init = est.estimators_, 1.0, None
        extra["aggregate_function"] = 0  # AVERAGE
    else:
        trees, scale, init = [est], 1.0, None
    out = "y" if init is None else "raw"
    nodes.append(helper.make_node("TreeEnsemble", ["X"], [out], domain=ML, n_targets=1, **tree5_attrs(trees, scale), **extra))
    if init is not None:  # TreeEnsemble-5 has no base values: an Add
        nodes += [helper.make_node("Constant", [], ["init"], value=helper.make_tensor("i", TensorProto.FLOAT, [1], [init])),
                  helper.make_node("Add", ["raw", "init"], ["y"])]
    save(name, nodes, [fin("X", 10)], [fin("y", 1)], Xte, {"y": est.predict(Xte)},
         f"sklearn {type(est).__name__} as ai.onnx.ml 5 TreeEnsemble", tol=1e-4, ml_opset=5)


# ---- Imputer: SimpleImputer (mean, median, constant) on data with holes ----
rs = np.random.RandomState(15)
holes = wine.data.copy()
holes[rs.rand(*holes.shape) < 0.15] = np.nan
for strategy, kw in [("mean", {}), ("median", {}), ("constant", {"fill_value": -1.5})]:
    Xtr, _, Xte, _ = split(holes, wine.target, seed=16)
    imp = SimpleImputer(strategy=strategy, **kw).fit(Xtr)
    node = helper.make_node("Imputer", ["X"], ["Y"], domain=ML, imputed_value_floats=imp.statistics_.astype(np.float32).tolist(),
                            replaced_value_float=float("nan"))
    save(f"imputer-{strategy}-wine", [node], [fin("X", 13)], [fin("Y", 13)], Xte, {"Y": imp.transform(Xte)},
         f"sklearn SimpleImputer(strategy={strategy})")

# ---- ArrayFeatureExtractor: SelectKBest's chosen columns ----
for k, data, seed in [(3, iris, 17), (5, wine, 18), (8, cancer, 19)]:
    Xtr, ytr, Xte, _ = split(data.data, data.target, seed=seed)
    sel = SelectKBest(f_classif, k=k).fit(Xtr, ytr)
    idx = np.flatnonzero(sel.get_support()).astype(np.int64)
    C = data.data.shape[1]
    init = helper.make_tensor("idx", TensorProto.INT64, [len(idx)], idx.tolist())
    g = helper.make_node("ArrayFeatureExtractor", ["X", "idx"], ["Y"], domain=ML)
    save(f"afe-selectkbest-{k}", [helper.make_node("Constant", [], ["idx"], value=init), g], [fin("X", C)], [fin("Y", k)],
         Xte, {"Y": sel.transform(Xte)}, f"sklearn SelectKBest(k={k}) as ArrayFeatureExtractor", tol=0)

# ---- LabelEncoder (int64 labels to their codes), OneHotEncoder, FeatureVectorizer ----
for name, labels in [("labelenc-years", [1999, 2004, 2010, 2021, 1999, 2021]), ("labelenc-codes", [7, -3, 12, 7, 100]),
                     ("labelenc-sparse", [5, 500, 50000, 5000000])]:
    le = preprocessing.LabelEncoder().fit(labels)
    X = np.array(labels + [int(le.classes_[0])], dtype=np.float32).reshape(1, -1)
    node = helper.make_node("LabelEncoder", ["Xi"], ["Y"], domain=ML, keys_int64s=[int(c) for c in le.classes_],
                            values_int64s=list(range(len(le.classes_))), default_int64=-1)
    cast = helper.make_node("Cast", ["X"], ["Xi"], to=TensorProto.INT64)
    save(name, [cast, node], [fin("X", X.shape[1])], [helper.make_tensor_value_info("Y", TensorProto.INT64, [None, X.shape[1]])],
         X, {"Y": le.transform(X.ravel().astype(np.int64)).reshape(1, -1)}, "sklearn LabelEncoder", tol=0)

for name, col, seed in [("onehot-iris-petal", 2, 20), ("onehot-wine-alcalinity", 3, 21), ("onehot-cancer-texture", 1, 22)]:
    data = {"iris": iris, "wine": wine, "cancer": cancer}[name.split("-")[1]]
    vals = np.floor(data.data[:, col]).astype(np.int64).reshape(-1, 1)
    Xtr, _, Xte, _ = split(vals.astype(np.float64), data.target, seed=seed)
    oh = preprocessing.OneHotEncoder(handle_unknown="ignore").fit(Xtr.astype(np.int64))
    cats = [int(c) for c in oh.categories_[0]]
    node = helper.make_node("OneHotEncoder", ["X"], ["Y"], domain=ML, cats_int64s=cats, zeros=1)
    sq = helper.make_node("Squeeze", ["Y", "ax"], ["Ys"])
    ax = helper.make_node("Constant", [], ["ax"], value=helper.make_tensor("a", TensorProto.INT64, [1], [1]))
    save(name, [node, ax, sq], [fin("X", 1)], [fin("Ys", len(cats))], Xte,
         {"Ys": oh.transform(Xte.astype(np.int64)).toarray()}, "sklearn OneHotEncoder(handle_unknown=ignore)", tol=0)

for name, dims, data, seed in [("fvec-iris", [2, 2], iris, 23), ("fvec-wine", [5, 8], wine, 24), ("fvec-cancer", [10, 20], cancer, 25)]:
    _, _, Xte, _ = split(data.data, data.target, seed=seed)
    a, b = Xte[:, :dims[0]], Xte[:, dims[0]:dims[0] + dims[1]]
    node = helper.make_node("FeatureVectorizer", ["A", "B"], ["Y"], domain=ML, inputdimensions=dims)
    sl = [helper.make_node("Constant", [], [n], value=helper.make_tensor(n, TensorProto.INT64, [1], [v]))
          for n, v in [("s0", 0), ("e0", dims[0]), ("e1", dims[0] + dims[1]), ("ax1", 1)]]
    cut = [helper.make_node("Slice", ["X", "s0", "e0", "ax1"], ["A"]), helper.make_node("Slice", ["X", "e0", "e1", "ax1"], ["B"])]
    save(name, sl + cut + [node], [fin("X", data.data.shape[1])], [fin("Y", sum(dims))], Xte,
         {"Y": np.hstack([a, b])}, "numpy hstack of two column groups (FeatureVectorizer)", tol=0)

# ---- strings: categories as scikit-learn encodes them, string class labels ----
def sval(name):
    return helper.make_tensor_value_info(name, TensorProto.STRING, [None])


def iout(name):
    return helper.make_tensor_value_info(name, TensorProto.INT64, [None])


def names_of(data):
    return np.array([str(v) for v in data.target_names[data.target]])


def class_names(data, seed):
    """The class names of a split's training and held-out rows."""
    _, ytr, _, yte = split(data.data, names_of(data), seed=seed)
    return ytr, yte


# LabelEncoder.transform as CategoryMapper (string to code), and
# inverse_transform (code to string), on the data sets' class names.
for name, data, seed in [("catmap-iris-species", iris, 30), ("catmap-cancer-diagnosis", cancer, 31),
                         ("catmap-wine-cultivar", wine, 32)]:
    ytr, yte = class_names(data, seed)
    le = preprocessing.LabelEncoder().fit(ytr)
    node = helper.make_node("CategoryMapper", ["X"], ["Y"], domain=ML, cats_strings=[str(c) for c in le.classes_],
                            cats_int64s=list(range(len(le.classes_))), default_int64=-1)
    save(name, [node], [sval("X")], [iout("Y")], yte, {"Y": le.transform(yte)},
         "sklearn LabelEncoder.transform (class names to codes) as CategoryMapper", tol=0)
    codes = np.array(le.transform(yte), dtype=np.float32).reshape(-1, 1)
    inv = helper.make_node("CategoryMapper", ["Xi"], ["Y"], domain=ML, cats_strings=[str(c) for c in le.classes_],
                           cats_int64s=list(range(len(le.classes_))))
    cast = helper.make_node("Cast", ["X"], ["Xc"], to=TensorProto.INT64)
    flat = helper.make_node("Flatten", ["Xc"], ["Xf"], axis=0)
    sq = helper.make_node("Squeeze", ["Xf", "ax"], ["Xi"])
    ax = helper.make_node("Constant", [], ["ax"], value=helper.make_tensor("a", TensorProto.INT64, [1], [0]))
    save(name + "-inverse", [cast, flat, ax, sq, inv], [fin("X", 1)], [sval("Y")], codes,
         {"Y": le.inverse_transform(codes.ravel().astype(np.int64))},
         "sklearn LabelEncoder.inverse_transform (codes to class names) as CategoryMapper", tol=0)

# The same with LabelEncoder (opset 2, keys_strings), and OneHotEncoder on strings.
for name, data, seed in [("labelenc-iris-species", iris, 33), ("labelenc-wine-cultivar", wine, 34),
                         ("labelenc-cancer-diagnosis", cancer, 35)]:
    ytr, yte = class_names(data, seed)
    le = preprocessing.LabelEncoder().fit(ytr)
    node = helper.make_node("LabelEncoder", ["X"], ["Y"], domain=ML, keys_strings=[str(c) for c in le.classes_],
                            values_int64s=list(range(len(le.classes_))), default_int64=-1)
    save(name, [node], [sval("X")], [iout("Y")], yte, {"Y": le.transform(yte)},
         "sklearn LabelEncoder.transform as LabelEncoder (keys_strings)", tol=0)
for name, data, seed in [("onehot-iris-species", iris, 36), ("onehot-wine-cultivar", wine, 37),
                         ("onehot-cancer-diagnosis", cancer, 38)]:
    ytr, yte = class_names(data, seed)
    oh = preprocessing.OneHotEncoder(handle_unknown="ignore").fit(ytr.reshape(-1, 1))
    cats = [str(c) for c in oh.categories_[0]]
    node = helper.make_node("OneHotEncoder", ["X"], ["Y"], domain=ML, cats_strings=cats, zeros=1)
    save(name, [node], [sval("X")], [fin("Y", len(cats))], yte, {"Y": oh.transform(yte.reshape(-1, 1)).toarray()},
         "sklearn OneHotEncoder(handle_unknown=ignore) on class names", tol=0)

# Classifiers fitted on class names: the label output is a string tensor.
for name, est, data, seed in [("rfc-iris-names", ensemble.RandomForestClassifier(n_estimators=10, max_depth=4, random_state=40), iris, 40),
                              ("dtc-cancer-names", tree.DecisionTreeClassifier(max_depth=5, random_state=41), cancer, 41)]:
    Xtr, ytr, Xte, _ = split(data.data, names_of(data), seed=seed)
    est.fit(Xtr, ytr)
    trees = est.estimators_ if hasattr(est, "estimators_") else [est]
    k = len(est.classes_)
    a = tree_attrs(trees, lambda tr, n: [(c, v / tr.value[n][0].sum()) for c, v in enumerate(tr.value[n][0])],
                   "class", 1.0 / len(trees))
    node = helper.make_node("TreeEnsembleClassifier", ["X"], ["label", "probabilities"], domain=ML,
                            classlabels_strings=[str(c) for c in est.classes_], **a)
    save(name, [node], [fin("X", data.data.shape[1])], [sval("label"), fin("probabilities", k)], Xte,
         {"label": est.predict(Xte), "probabilities": est.predict_proba(Xte)},
         f"sklearn {type(est).__name__} on class names: string labels")
Xtr, ytr, Xte, _ = split(wine.data, names_of(wine), seed=42)
sc = preprocessing.StandardScaler().fit(Xtr)
clf = svm.SVC(kernel="rbf", probability=True, random_state=42).fit(sc.transform(Xtr), ytr)
node = helper.make_node("SVMClassifier", ["Xs"], ["label", "scores"], domain=ML, kernel_type="RBF",
                        kernel_params=[float(clf._gamma), float(clf.coef0), float(clf.degree)],
                        vectors_per_class=clf.n_support_.tolist(), support_vectors=clf.support_vectors_.ravel().tolist(),
                        coefficients=clf._dual_coef_.ravel().tolist(), rho=clf._intercept_.tolist(),
                        prob_a=clf._probA.tolist(), prob_b=clf._probB.tolist(),
                        classlabels_strings=[str(c) for c in clf.classes_])
save("svc-wine-names", [scaler(sc, 13), node], [fin("X", 13)], [sval("label"), fin("scores", 3)], Xte,
     {"label": clf.predict(sc.transform(Xte)), "scores": clf.predict_proba(sc.transform(Xte))},
     "sklearn SVC(rbf, probability=True) on class names: string labels")

with open(os.path.join(OUT, "cases.json"), "w") as f:
    json.dump({"generator": "tests/workloads/sklearn/gen.py", "sklearn": __import__("sklearn").__version__,
               "onnx": onnx.__version__, "cases": cases}, f, separators=(",", ":"))
    f.write("\n")
print(f"{len(cases)} cases written to {OUT}")
