// Every string the page shows, in English and Japanese. Elements carry data-i18n (text),
// data-i18n-title, data-i18n-aria-label; code calls t(key, params). The default language
// comes from the browser; the choice is remembered.

export const STRINGS = {
  en: {
    skip_to_controls: "Skip to the controls",
    run_group: "Run",
    reset: "Reset", reset_title: "Reset: step 0, same initial weights (r)",
    play: "Play", pause: "Pause", play_title: "Play / pause (space)",
    step: "Step", step_title: "One training step (→)",
    epoch: "Epoch", step_count: "Step",
    train_loss: "Train loss", test_loss: "Test loss", test_acc: "Test accuracy",
    language: "Language", share: "Share link", presenter: "Presenter mode",
    shortcuts_title: "Keyboard shortcuts (?)", shortcuts: "Keyboard shortcuts",
    viewer_banner: "You are watching a live session. Only the presenter can change it.",
    share_link: "Link that reproduces this configuration",
    viewer_link: "Read-only link that follows this session live",
    close: "Close", controls: "Controls", apply: "Apply", cancel: "Cancel",
    g_run: "Run", speed: "Speed", speed_max: "As fast as possible", speed_1000: "1,000 steps/s",
    speed_100: "100 steps/s", speed_10: "10 steps/s", speed_1: "1 step/s",
    one_epoch: "One epoch", new_weights: "New weights",
    g_data: "Data", dataset: "Data set",
    ds_circle: "Circle", ds_xor: "Exclusive or", ds_gaussians: "Two Gaussians", ds_spiral: "Spiral",
    ds_moons: "Moons", ds_checkerboard: "Checkerboard", ds_blobs: "Blobs",
    ds_plane: "Plane (regression)", ds_bumps: "Bumps (regression)", ds_digits: "Handwritten digits",
    noise: "Noise", samples: "Points", classes: "Classes", test_share: "Test share",
    standardize: "Standardize inputs", regenerate: "Regenerate data",
    g_features: "Input features",
    g_network: "Network", hidden_layers: "Hidden layers", remove_layer: "Remove a layer",
    add_layer: "Add a layer", activation: "Activation", act_sigmoid: "Sigmoid", act_linear: "Linear",
    output: "Output", auto: "Automatic", loss: "Loss", loss_ce: "Cross-entropy",
    loss_mse: "Mean squared error", init: "Initialization", init_uniform: "Uniform", init_zeros: "Zeros",
    seed: "Seed",
    g_optimizer: "Optimizer", optimizer: "Optimizer", opt_sgd: "SGD", lr: "Learning rate",
    batch_size: "Batch size", momentum: "Momentum", nesterov: "Nesterov momentum",
    alpha: "Smoothing α", beta1: "β₁ (momentum)", beta2: "β₂ (squared gradients)",
    eps: "ε (stability)", weight_decay: "Weight decay", shuffle: "Shuffle every epoch",
    g_regularization: "Regularization", dropout: "Dropout", regularization: "Penalty", none: "None",
    reg_rate: "Penalty rate",
    rebuild_mark: "changing this starts the run again",
    rebuild_legend: "starts the run again; the other controls change it live.",
    network: "Network", show_gradients: "Show gradients dL/dW",
    network_hint: "Edge colour: sign (blue +, orange −); width: size. Click a neuron or an edge to inspect it.",
    curves: "Loss and accuracy", x_axis: "x axis", steps: "steps", epochs: "epochs",
    log_scale: "Log scale", smoothing: "Smoothing", loss_chart: "Loss", acc_chart: "Accuracy",
    output_surface: "Output", show_test: "Show test data", discretize: "Discretize output",
    surface_hint: "Click a point to follow it in the neuron inspector.",
    test_samples: "Test samples", errors_only: "Errors only", show_all: "Show all",
    digits_hint: "Each sample: predicted label (large), true label (small). A red frame marks an error.",
    evaluation: "Evaluation on the test set", row_normalized: "Row-normalized",
    grad_norms: "Gradient size per layer", inspector: "Neuron inspector",
    inspector_hint: "Click a neuron or an edge in the network.",
    key_space: "Space", play_pause: "Play / pause", one_step: "One training step",
    // messages built in code
    conn_lost: "The connection to the server was lost. Reconnecting in {s} s…",
    conn_back: "Connected again; the history is complete.",
    conn_failed_session: "This session no longer exists on the server. Open the start page for a new one.",
    diverged: "{what} became {kind} at step {step}: the learning rate {lr} is too large. Training stopped; the weights are those of the last good step. Lower the learning rate, then reset.",
    what_loss: "The loss", what_gradient: "The gradient", what_update: "The weight update",
    kind_inf: "infinite", kind_nan: "NaN (not a number)",
    rebuild_network: "Changing {fields} builds a new network: training starts again from step 0.",
    rebuild_data: "Changing {fields} makes new data and a new network: training starts again from step 0.",
    rebuilt_network: "New network: training starts again from step 0.",
    rebuilt_data: "New data and a new network: training starts again from step 0.",
    copied: "Links ready; the share link is copied.",
    session_error: "Could not start a session: {msg}",
    shared_config_invalid: "The shared link's configuration was refused ({msg}). Starting with the defaults.",
    no_token: "This link has no control token, so you are watching read-only.",
    viewer_refused: "Only the presenter can change the session.",
    full_batch: "full batch ({n})", sgd_batch: "1 (SGD)",
    layer_units: "Layer {n}: {units} neurons", add_neuron: "Add a neuron to layer {n}",
    remove_neuron: "Remove a neuron from layer {n}", layers_count: "{n} hidden layers",
    input_layer: "Input", output_layer: "Output", hidden_layer: "Hidden {n}", frozen: "frozen",
    more_units: "+{n} more", dropped: "dropped",
    scale_weights: "|w| up to {v}", scale_grads: "|dL/dW| up to {v}",
    insp_neuron: "{layer}, neuron {j}", insp_point: "Input point {point}, label {label}",
    insp_forward: "Forward pass for this point", insp_activation: "Activation",
    insp_dz_point: "dL/dz for this point alone", insp_last_step: "From the last training step (mean over its batch)",
    insp_edge: "Weight from {from} to {to}", insp_set: "Set", insp_set_bias: "Set bias",
    insp_edit_paused: "Pause training to edit this weight.", insp_value: "New value",
    insp_viewer: "Only the presenter can edit weights.",
    insp_terms_more: "… {n} more terms", insp_no_frame: "Waiting for the first frame…",
    insp_output: "Output p", insp_weight: "weight w", insp_bias: "bias b",
    insp_per_point_dw: "dL/dw for this point = dL/dz · x",
    true_class: "True class", predicted: "Predicted", precision: "Precision", recall: "Recall",
    class_col: "Class", accuracy: "Accuracy", test_size: "{n} test samples",
    cell_samples: "{n} samples: true {t}, predicted {p}", cell_hint: "Click a cell to see its samples.",
    regression_note: "A regression task has no classes: the test loss (mean squared error) measures it.",
    no_eval: "No evaluation yet: press Play or Step.",
    train: "train", test: "test", loss_axis: "Loss", acc_axis: "Accuracy", smoothed: "smoothed",
    layer_n: "layer {n}", grad_axis: "‖dL/dW‖ per layer", pred: "predicted", truth: "true",
    waiting: "Waiting for the server…", error_prefix: "Error: {msg}",
    rebuilt_notice: "{msg}",
  },
  ja: {
    skip_to_controls: "操作パネルへ移動",
    run_group: "実行",
    reset: "リセット", reset_title: "リセット：ステップ0、同じ初期重み（r）",
    play: "再生", pause: "一時停止", play_title: "再生／一時停止（スペース）",
    step: "1ステップ", step_title: "1ステップ学習（→）",
    epoch: "エポック", step_count: "ステップ",
    train_loss: "訓練損失", test_loss: "テスト損失", test_acc: "テスト正解率",
    language: "言語", share: "共有リンク", presenter: "プレゼンターモード",
    shortcuts_title: "キーボードショートカット（?）", shortcuts: "キーボードショートカット",
    viewer_banner: "ライブのセッションを見ています。変更できるのは発表者だけです。",
    share_link: "この設定を再現するリンク",
    viewer_link: "このセッションをライブで追う閲覧専用リンク",
    close: "閉じる", controls: "操作パネル", apply: "適用", cancel: "キャンセル",
    g_run: "実行", speed: "速度", speed_max: "できるだけ速く", speed_1000: "毎秒1,000ステップ",
    speed_100: "毎秒100ステップ", speed_10: "毎秒10ステップ", speed_1: "毎秒1ステップ",
    one_epoch: "1エポック", new_weights: "新しい重み",
    g_data: "データ", dataset: "データセット",
    ds_circle: "円", ds_xor: "排他的論理和", ds_gaussians: "2つのガウス分布", ds_spiral: "渦巻き",
    ds_moons: "三日月", ds_checkerboard: "市松模様", ds_blobs: "塊",
    ds_plane: "平面（回帰）", ds_bumps: "起伏（回帰）", ds_digits: "手書き数字",
    noise: "ノイズ", samples: "点の数", classes: "クラス数", test_share: "テストの割合",
    standardize: "入力を標準化", regenerate: "データを作り直す",
    g_features: "入力特徴量",
    g_network: "ネットワーク", hidden_layers: "隠れ層", remove_layer: "層を1つ減らす",
    add_layer: "層を1つ増やす", activation: "活性化関数", act_sigmoid: "シグモイド", act_linear: "線形",
    output: "出力", auto: "自動", loss: "損失関数", loss_ce: "交差エントロピー",
    loss_mse: "平均二乗誤差", init: "初期化", init_uniform: "一様分布", init_zeros: "ゼロ",
    seed: "シード",
    g_optimizer: "最適化", optimizer: "最適化手法", opt_sgd: "SGD（確率的勾配降下法）", lr: "学習率",
    batch_size: "バッチサイズ", momentum: "モーメンタム", nesterov: "ネステロフのモーメンタム",
    alpha: "平滑化係数 α", beta1: "β₁（モーメンタム）", beta2: "β₂（勾配の二乗）",
    eps: "ε（数値安定化）", weight_decay: "重み減衰", shuffle: "エポックごとにシャッフル",
    g_regularization: "正則化", dropout: "ドロップアウト", regularization: "罰則項", none: "なし",
    reg_rate: "罰則の強さ",
    rebuild_mark: "変更すると学習をやり直します",
    rebuild_legend: "は学習をやり直します。ほかの操作は学習中にそのまま反映されます。",
    network: "ネットワーク", show_gradients: "勾配 dL/dW を表示",
    network_hint: "辺の色は符号（青が正、橙が負）、太さは大きさ。ニューロンや辺をクリックすると詳しく見られます。",
    curves: "損失と正解率", x_axis: "横軸", steps: "ステップ", epochs: "エポック",
    log_scale: "対数目盛", smoothing: "平滑化", loss_chart: "損失", acc_chart: "正解率",
    output_surface: "出力", show_test: "テストデータを表示", discretize: "出力を離散化",
    surface_hint: "点をクリックすると、ニューロン検査でその点を追えます。",
    test_samples: "テストサンプル", errors_only: "誤りのみ", show_all: "すべて表示",
    digits_hint: "各サンプル：予測ラベル（大）、正解ラベル（小）。赤い枠は誤りです。",
    evaluation: "テストデータでの評価", row_normalized: "行ごとに正規化",
    grad_norms: "層ごとの勾配の大きさ", inspector: "ニューロン検査",
    inspector_hint: "ネットワークのニューロンか辺をクリックしてください。",
    key_space: "スペース", play_pause: "再生／一時停止", one_step: "1ステップ学習",
    conn_lost: "サーバーとの接続が切れました。{s} 秒後に再接続します…",
    conn_back: "再接続しました。履歴はそろっています。",
    conn_failed_session: "このセッションはサーバーにもうありません。最初のページから新しく始めてください。",
    diverged: "ステップ {step} で{what}が{kind}になりました：学習率 {lr} が大きすぎます。学習を止めました。重みは最後の正常なステップのものです。学習率を下げてからリセットしてください。",
    what_loss: "損失", what_gradient: "勾配", what_update: "重みの更新量",
    kind_inf: "無限大", kind_nan: "NaN（非数）",
    rebuild_network: "{fields} を変えるとネットワークを作り直し、ステップ0から学習をやり直します。",
    rebuild_data: "{fields} を変えるとデータとネットワークを作り直し、ステップ0から学習をやり直します。",
    rebuilt_network: "新しいネットワーク：ステップ0から学習をやり直します。",
    rebuilt_data: "新しいデータとネットワーク：ステップ0から学習をやり直します。",
    copied: "リンクを用意しました。共有リンクをコピーしました。",
    session_error: "セッションを開始できませんでした：{msg}",
    shared_config_invalid: "共有リンクの設定は受け付けられませんでした（{msg}）。既定の設定で始めます。",
    no_token: "このリンクには操作用のトークンがないため、閲覧のみです。",
    viewer_refused: "セッションを変更できるのは発表者だけです。",
    full_batch: "全データ（{n}）", sgd_batch: "1（SGD）",
    layer_units: "第{n}層：ニューロン {units} 個", add_neuron: "第{n}層にニューロンを1つ追加",
    remove_neuron: "第{n}層からニューロンを1つ削除", layers_count: "隠れ層 {n} 層",
    input_layer: "入力", output_layer: "出力", hidden_layer: "隠れ層 {n}", frozen: "凍結",
    more_units: "ほか {n} 個", dropped: "ドロップ中",
    scale_weights: "|w| 最大 {v}", scale_grads: "|dL/dW| 最大 {v}",
    insp_neuron: "{layer}・ニューロン {j}", insp_point: "入力点 {point}、ラベル {label}",
    insp_forward: "この点の順伝播", insp_activation: "活性化",
    insp_dz_point: "この点だけの dL/dz", insp_last_step: "直前の学習ステップ（バッチ平均）",
    insp_edge: "{from} から {to} への重み", insp_set: "設定", insp_set_bias: "バイアスを設定",
    insp_edit_paused: "この重みを編集するには学習を一時停止してください。", insp_value: "新しい値",
    insp_viewer: "重みを編集できるのは発表者だけです。",
    insp_terms_more: "… ほか {n} 項", insp_no_frame: "最初のフレームを待っています…",
    insp_output: "出力 p", insp_weight: "重み w", insp_bias: "バイアス b",
    insp_per_point_dw: "この点の dL/dw = dL/dz · x",
    true_class: "正解クラス", predicted: "予測", precision: "適合率", recall: "再現率",
    class_col: "クラス", accuracy: "正解率", test_size: "テストサンプル {n} 個",
    cell_samples: "{n} 個のサンプル：正解 {t}、予測 {p}", cell_hint: "セルをクリックするとそのサンプルを表示します。",
    regression_note: "回帰にはクラスがありません。テスト損失（平均二乗誤差）で評価します。",
    no_eval: "まだ評価がありません。再生か1ステップを押してください。",
    train: "訓練", test: "テスト", loss_axis: "損失", acc_axis: "正解率", smoothed: "平滑化",
    layer_n: "第{n}層", grad_axis: "層ごとの ‖dL/dW‖", pred: "予測", truth: "正解",
    waiting: "サーバーを待っています…", error_prefix: "エラー：{msg}",
    rebuilt_notice: "{msg}",
  },
};

export const LANGUAGES = Object.keys(STRINGS);
let lang = "en";
const listeners = [];

/** "ja" for a Japanese browser (ja, ja-JP, …), English otherwise. */
export function detectLanguage(navLang) {
  return typeof navLang === "string" && navLang.toLowerCase().startsWith("ja") ? "ja" : "en";
}

/** The string for key in the current language, {name} placeholders filled from params. */
export function t(key, params = {}, language = lang) {
  const table = STRINGS[language] ?? STRINGS.en;
  const s = table[key] ?? STRINGS.en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

export function getLanguage() {
  return lang;
}

/** Fill text, titles and aria-labels of every data-i18n element under root. */
export function applyTo(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll("[data-i18n-aria-label]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nAriaLabel));
  }
}

/** Switch language: update the document and tell the views (they redraw their own text). */
export function setLanguage(next, doc = globalThis.document) {
  lang = STRINGS[next] ? next : "en";
  if (doc) {
    doc.documentElement.lang = lang;
    applyTo(doc);
  }
  try { globalThis.localStorage?.setItem("lang", lang); } catch { /* private mode */ }
  for (const f of listeners) f(lang);
}

export function onLanguageChange(f) {
  listeners.push(f);
}

/** The saved choice, else the browser's language. */
export function initialLanguage() {
  let saved = null;
  try { saved = globalThis.localStorage?.getItem("lang"); } catch { /* private mode */ }
  return STRINGS[saved] ? saved : detectLanguage(globalThis.navigator?.language);
}
