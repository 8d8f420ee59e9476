"""The built book as a reader sees it: no page shows `nan` or a blank glued number, no page shows
the glue or set-up code, and three pages render in a real headless browser (Chromium)."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.browser import require_browser, run_chromium


class _Text(HTMLParser):
    """The prose and tables of a page (scripts, styles and code blocks left out) and its glued
    values."""

    def __init__(self):
        super().__init__()
        self.text, self.pasted, self._skip, self._in_paste = [], [], 0, 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "pre"):
            self._skip += 1
        if tag == "span" and ("class", "pasted-text") in attrs:
            self._in_paste = 1
            self.pasted.append("")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "pre"):
            self._skip -= 1
        if tag == "span" and self._in_paste:
            self._in_paste = 0

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)
            if self._in_paste:
                self.pasted[-1] += data


def page_text(html: str):
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.text), parser.pasted


NAN = re.compile(r"(?<![\w.])(nan|NaN)(?![\w])")


CELL = re.compile(r'<div class="cell((?: [\w-]+)*) docutils container">')
GLUE_CALL = '<span class="n">glue</span><span class="p">('


def visible_glue_cells(html: str) -> int:
    """How many code cells show a ``glue(`` call without being folded (hide-input)."""
    starts = list(CELL.finditer(html))
    count = 0
    for k, m in enumerate(starts):
        segment = html[m.start():starts[k + 1].start() if k + 1 < len(starts) else len(html)]
        if "tag_hide-input" not in m.group(1) and GLUE_CALL in segment:
            count += 1
    return count


def chapter_pages(build: Path):
    return sorted((build / "_build" / "html" / "notebooks").glob("*.html"))


def test_page_checks_catch_planted_defects():
    """The planted controls: a nan in a table cell and a blank glued number are found."""
    text, pasted = page_text('<p>x <span class="pasted-text"></span></p><td>nan</td>'
                             '<script>var nan = 1;</script><pre>x = np.nan</pre>')
    assert NAN.search(text) and "" in pasted
    text, pasted = page_text('<p>finance <span class="pasted-text">0.5</span></p>')
    assert not NAN.search(text) and "" not in pasted
    assert "np.nan" not in page_text("<pre>x = np.nan</pre>")[0]
    code = '<pre><span class="n">glue</span><span class="p">(</span>'
    assert visible_glue_cells(f'<div class="cell docutils container">{code}') == 1
    assert visible_glue_cells(f'<div class="cell tag_hide-input docutils container">{code}') == 0


@pytest.mark.slow
def test_no_page_shows_nan_blank_glue_or_glue_code(quick_book):
    pages = chapter_pages(quick_book)
    assert len(pages) >= 9
    for page in pages:
        html = page.read_text()
        text, pasted = page_text(html)
        assert not NAN.search(text), f"{page.name} shows nan: ...{text[max(0, NAN.search(text).start() - 80):][:160]}..."
        blank = sum(1 for p in pasted if not p.strip())
        assert blank == 0, f"{page.name} has {blank} blank glued values"
        # glue statements live in cells whose input the page removes; none is shown unfolded
        assert visible_glue_cells(html) == 0, f"{page.name} shows a glue call in a visible code cell"


@pytest.mark.slow
@pytest.mark.parametrize("chapter", ["game", "mid_linear", "gmi"])
def test_pages_render_in_a_headless_browser(quick_book, chapter, tmp_path):
    """Chromium loads the page offline, runs its scripts (MathJax, the theme), and the rendered
    DOM still has every glued value and no nan; the screenshot is a real picture of the page."""
    require_browser()
    url = (quick_book / "_build" / "html" / "notebooks" / f"{chapter}.html").as_uri()
    shot = tmp_path / f"{chapter}.png"
    timing = ["--window-size=1280,2400", "--virtual-time-budget=8000", "--hide-scrollbars"]
    run_chromium([*timing, f"--screenshot={shot}", url], tmp_path)
    dom = run_chromium([*timing, "--dump-dom", url], tmp_path)
    text, pasted = page_text(dom)
    assert len(pasted) > 5 and all(p.strip() for p in pasted), f"{chapter}: a glued value is blank"
    assert not NAN.search(text), f"{chapter}: the rendered page shows nan"
    assert "mjx-container" in dom, f"{chapter}: MathJax did not typeset the page (offline maths)"
    from PIL import Image

    image = Image.open(shot).convert("L")
    assert image.size == (1280, 2400)
    lo, hi = image.getextrema()
    assert hi - lo > 100, f"{chapter}: the screenshot is blank"
