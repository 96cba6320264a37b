"""Japanese is drawn with a Japanese font, not as empty boxes: the machine has one (Debian's
fonts-noto-cjk; .ci/run installs it) and the page's font stack reaches it."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser

JAPANESE = "ニューラルネットワーク"
# the Japanese families named in the page's font stack (static/css/app.css)
JAPANESE_FONTS = {"Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic", "Meiryo", "Noto Sans JP"}

MARK_JAPANESE_LABEL = """() => {
  const kana = /[\\u3040-\\u30ff\\u4e00-\\u9fff]/;
  for (const el of document.querySelectorAll('[data-i18n]')) {
    if (el.offsetParent !== null && el.children.length === 0 && kana.test(el.textContent)) {
      el.setAttribute('data-font-probe', '');
      return el.textContent;
    }
  }
  return null;
}"""


LOADS_LOCAL_FONT = """async (name) => {
  try { await new FontFace('probe', `local("${name}")`).load(); return true; }
  catch (e) { return false; }
}"""


def test_the_japanese_font_is_installed(open_page: Any) -> None:
    # document.fonts.check() says true for any font it need not download, installed or not;
    # a FontFace made from local() loads only when the machine has that font
    w = open_page("/", lang="ja-JP")
    assert w.page.evaluate(LOADS_LOCAL_FONT, "Noto Sans CJK JP")
    assert not w.page.evaluate(LOADS_LOCAL_FONT, "No Such Font Anywhere")  # it can say no


def test_a_japanese_label_is_drawn_with_a_japanese_font(open_page: Any) -> None:
    w = open_page("/", lang="ja-JP")
    label = w.page.evaluate(MARK_JAPANESE_LABEL)
    assert label, "the Japanese page shows no Japanese label"
    cdp = w.page.context.new_cdp_session(w.page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "[data-font-probe]"})
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
    used = {f["familyName"]: f["glyphCount"] for f in fonts}
    assert any(used.get(name, 0) > 0 for name in JAPANESE_FONTS), (label, used)
