import re

from digest.markdown import fill_placeholders, render, render_inline, sanitize


def test_md_links_become_placeholders_resolved_later():
    r = render("See [the earlier report](../02/older.md#map) and [this](same.md).", "2024/03/x.md", 10)
    assert [(link.target, link.fragment, link.line) for link in r.links] == [
        ("2024/02/older.md", "map", 10), ("2024/03/same.md", "", 10)]
    html = fill_placeholders(r.html, lambda i: ["/r/2024/02/older/#map", None][i], "/r")
    assert '<a href="/r/2024/02/older/#map">the earlier report</a>' in html
    assert '<a href="#">this</a>' in html


def test_devanagari_file_names_in_links():
    r = render("[पिछली रिपोर्ट](../10/मानसून-की-वापसी.md)", "2026/11/x.md")
    assert r.links[0].target == "2026/10/मानसून-की-वापसी.md"


def test_root_paths_gain_the_base_path():
    r = render("![map](/img/map.png) [about](/about/) [next](pic.jpg)", "2024/03/x.md")
    html = fill_placeholders(r.html, lambda i: None, "/repo")
    assert 'src="/repo/img/map.png"' in html
    assert 'href="/repo/about/"' in html
    assert 'href="/repo/2024/03/pic.jpg"' in html


def test_external_links_untouched():
    r = render("[x](https://example.org/a.md) [y](#local) [z](mailto:a@b.c)", "x.md")
    assert r.links == ()
    assert 'href="https://example.org/a.md"' in r.html


def test_raw_html_is_sanitised_by_default():
    r = render('<script>alert(1)</script>\n\n<p onclick="x()">hi <a href="javascript:alert(1)">j</a>'
               '<iframe src="https://evil"></iframe></p>', "x.md")
    assert "<script" not in r.html and "onclick" not in r.html
    assert "javascript:" not in r.html and "<iframe" not in r.html
    assert "hi" in r.html


def test_unsafe_html_opt_in_keeps_embeds():
    r = render('<iframe src="https://www.example.com/embed"></iframe>', "x.md", unsafe_html=True)
    assert "<iframe" in r.html


def test_markdown_javascript_links_never_become_links():
    r = render("[click](javascript:alert(1)) [d](data:text/html;base64,xx)", "x.md")
    assert 'href="javascript' not in r.html and 'href="data' not in r.html


def test_headings_get_unicode_ids_footnotes_and_tables():
    r = render("## मानसून की वापसी\n\nText[^1]\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[^1]: Note.\n", "x.md")
    assert 'id="मानसून-की-वापसी"' in r.html
    assert r.anchors == ("मानसून-की-वापसी",)
    assert "<table>" in r.html and 'class="footnotes' in r.html


def test_first_paragraph_and_text():
    r = render("# Title\n\nFirst *para* with [link](https://x.org).\nSecond line.\n\nNext.", "x.md")
    assert r.first_paragraph == "First para with link. Second line."
    assert "Next" in r.text


def test_inline_summary_is_sanitised():
    assert render_inline('A <b>bold</b> <img src=x onerror="alert(1)"> *move*', "news/a.md") \
        == 'A <b>bold</b> <img src="digest-root:/news/x"> <em>move</em>'  # the site's file beside it


def test_sanitize_keeps_ordinary_markup():
    html = '<p class="x">a <a href="https://x.org" title="t">b</a></p><table><tr><td colspan="2">c</td></tr></table>'
    assert sanitize(html) == html.replace("<tr>", "<tbody><tr>").replace("</table>", "</tbody></table>")


def test_placeholders_written_by_the_editor_never_become_script_links():
    # The forms _collect makes are a root path with one '/' and a link by its number; an editor's
    # "digest-root:javascript:..." (in a link, an autolink, a reference or raw HTML) becomes "#".
    body = ("[a](digest-root:javascript:alert(1)) <digest-root:javascript:alert(2)> [c][d]\n\n"
            "[d]: digest-root:javascript:alert(3)\n\n"
            '<a href="digest-root:&#x6A;avascript:alert(4)">e</a> <a href="digest-root://evil.example/">f</a> '
            '<a href="digest-link:x">g</a> <a href="digest-root:data:text/html,x">h</a>\n')
    r = render(body, "x.md")
    html = fill_placeholders(r.html, lambda i: None, "")
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert len(hrefs) == 7 and set(hrefs) == {"#"}, html
    assert fill_placeholders('<a href="digest-root:/about/">x</a>', lambda i: None, "") == '<a href="/about/">x</a>'


def test_what_fills_a_placeholder_cannot_leave_the_attribute():
    r = render('[x](other.md#a"onmouseover="alert(1)) ![p](/p.png)', "k.md")
    assert r.links[0].fragment == 'a"onmouseover="alert(1)'
    html = fill_placeholders(r.html, lambda i: "/o/#" + r.links[i].fragment, '/r"x')
    assert 'href="/o/#a&quot;onmouseover=&quot;alert(1)"' in html
    assert 'src="/r&quot;x/p.png"' in html
    assert "onmouseover=\"" not in html


def test_images_get_no_id_and_sources_no_srcset():
    # <img id="getElementById"> would replace document.getElementById for the page's scripts; srcset
    # holds URLs whose schemes the sanitiser does not check.
    html = sanitize('<img id="getElementById" src="a.png" alt="a"><p id="keep">x</p>'
                    '<picture><source srcset="javascript:alert(1)"><img src="b.png" alt=""></picture>')
    assert 'id="getElementById"' not in html and 'id="keep"' in html
    assert "srcset" not in html and "javascript" not in html


def test_the_first_paragraph_is_the_first_that_says_something():
    r = render("![A photo](/img/monsoon.jpg)\n\n[![x](/a.png)](/big.png)\n\nThe river rose *overnight*.\n\nMore.",
               "x.md")
    assert r.first_paragraph == "The river rose overnight."
    assert render("[Read the report](https://example.org/) first.", "x.md").first_paragraph == \
        "Read the report first."


def test_a_link_is_shown_in_messages_as_the_editor_wrote_it():
    (link,) = render("देखें [x](नहीं.md#खंड).", "a.md").links
    assert (link.target, link.fragment, link.written) == ("नहीं.md", "खंड", "नहीं.md#खंड")


def test_each_link_of_a_wrapped_paragraph_is_on_its_own_line():
    r = render("One line\nand [a](x.md) then\n![alt\ntext](p.png) <div\nclass=x> on\nto [b](#gone)", "a.md", 10)
    assert [link.line for link in r.links] == [11]
    assert [ref.line for ref in r.local_refs] == [12]
    assert r.unclosed == (("div", 13),)
    assert r.self_links == (("gone", 15),)


def test_raw_html_ids_are_anchors_too():
    r = render('## Heading\n\n<div id="box">x</div> <a name="old-anchor"></a> <span id=\'s&amp;p\'>y</span>', "a.md")
    assert r.anchors == ("heading", "box", "old-anchor", "s&p")
