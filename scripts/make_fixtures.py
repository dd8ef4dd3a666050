#!/usr/bin/env python3
"""Generates the document-format test fixtures in tests/fixtures/.

Run once from the repository root; the outputs are committed and CI only reads them:

    python3 scripts/make_fixtures.py

Needs:
  * python3 (standard library only);
  * LibreOffice Writer, headless (`soffice`), for the PDF and DOCX of the 福田区 letter:
        apt-get install -y libreoffice-writer-nogui
  * a CJK font LibreOffice can embed; the script asks for "Noto Serif CJK SC":
        apt-get install -y fonts-noto-cjk

Outputs:
  futian-20240294.pdf    the 福田区 letter typeset by LibreOffice (embedded CJK subset font,
                         running header and "— N —" page numbers on every page)
  futian-20240294.docx   the same document saved as DOCX by LibreOffice
  scanned.pdf            two pages holding only an image (a scan): no text layer
  broken.pdf             the first third of futian-20240294.pdf (truncated download)
  broken.docx            not a ZIP archive at all
  portal-*.html          real letters from corpus/replies-more.jsonl wrapped in the chrome of
                         saved government portal pages (menus, breadcrumbs, 索引号 table,
                         share buttons, footer)
"""

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures")
FUTIAN_TXT = os.path.join(ROOT, "corpus", "futian-fgj-reply-20240294.txt")
MORE = os.path.join(ROOT, "corpus", "replies-more.jsonl")

FONT = "Noto Serif CJK SC"
RUNNING_HEADER = "福田区人大代表建议答复"


def width(line):
    return sum(2 if ord(c) > 0x2E80 else 1 for c in line if c != " ")


def futian_paragraphs():
    """Rebuilds the letter's paragraphs from the hard-wrapped text extracted from the
    original PDF: a full-width line that does not end a sentence continues on the next."""
    lines = [l.strip() for l in open(FUTIAN_TXT, encoding="utf-8") if l.strip()]
    full = max(width(l) for l in lines)
    paras, cur = [], ""
    for i, line in enumerate(lines):
        cur += line
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        ends = line.endswith(("。", "：", "！", "；", "？"))
        # Indented paragraph starts are narrower than full lines, but still wrap.
        wrapped = width(line) >= full - 8 and not ends
        # The session name wraps onto the number line in the original.
        if line.endswith("第四次会议") and nxt[:1].isdigit():
            wrapped = True
        if line.endswith("人大") and i == 0:
            wrapped = True
        if not wrapped or not nxt:
            paras.append(re.sub(r" +", " ", cur))
            cur = ""
    return paras


def fodt(paras):
    """A flat OpenDocument text of the letter laid out like a government reply letter."""
    title, body = paras[0], paras[1:]
    out = []

    def p(style, text):
        out.append(f'<text:p text:style-name="{style}">{html.escape(text)}</text:p>')

    # The heading is set on two centred lines, broken where the original breaks it.
    cut = title.index("人大") + 2
    p("Title", title[:cut])
    p("Title", title[cut:])
    p("Plain", "")
    for t in body:
        if t.endswith(("代表：", "常委：", "委员：")):
            p("Plain", t)
        elif t == "福田区发展和改革局" or re.fullmatch(r"\d{4} 年 \d{1,2} 月 \d{1,2} 日", t):
            p("Right", t)
        else:
            p("Body", t)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
<office:font-face-decls>
 <style:font-face style:name="{FONT}" svg:font-family="'{FONT}'"/>
</office:font-face-decls>
<office:styles>
 <style:default-style style:family="paragraph">
  <style:paragraph-properties fo:line-height="28pt"/>
  <style:text-properties style:font-name="{FONT}" style:font-name-asian="{FONT}"
   fo:font-size="16pt" style:font-size-asian="16pt" fo:language="zh" fo:country="CN"
   style:language-asian="zh" style:country-asian="CN"/>
 </style:default-style>
 <style:style style:name="Plain" style:family="paragraph"/>
 <style:style style:name="Body" style:family="paragraph">
  <style:paragraph-properties fo:text-indent="32pt" fo:text-align="justify"/>
 </style:style>
 <style:style style:name="Title" style:family="paragraph">
  <style:paragraph-properties fo:text-align="center" fo:line-height="36pt"/>
  <style:text-properties fo:font-size="22pt" style:font-size-asian="22pt"/>
 </style:style>
 <style:style style:name="Right" style:family="paragraph">
  <style:paragraph-properties fo:text-align="end" fo:margin-right="32pt"/>
 </style:style>
 <style:style style:name="Margin" style:family="paragraph">
  <style:paragraph-properties fo:text-align="center" fo:line-height="100%"/>
  <style:text-properties fo:font-size="10.5pt" style:font-size-asian="10.5pt"/>
 </style:style>
</office:styles>
<office:automatic-styles>
 <style:page-layout style:name="pm1">
  <style:page-layout-properties fo:page-width="21cm" fo:page-height="29.7cm"
   fo:margin-top="2.5cm" fo:margin-bottom="2.5cm" fo:margin-left="2.8cm" fo:margin-right="2.6cm"/>
  <style:header-style><style:header-footer-properties fo:min-height="0.6cm" fo:margin-bottom="0.5cm"/></style:header-style>
  <style:footer-style><style:header-footer-properties fo:min-height="0.6cm" fo:margin-top="0.5cm"/></style:footer-style>
 </style:page-layout>
</office:automatic-styles>
<office:master-styles>
 <style:master-page style:name="Standard" style:page-layout-name="pm1">
  <style:header><text:p text:style-name="Margin">{RUNNING_HEADER}</text:p></style:header>
  <style:footer><text:p text:style-name="Margin">— <text:page-number text:select-page="current">1</text:page-number> —</text:p></style:footer>
 </style:master-page>
</office:master-styles>
<office:body><office:text>
{chr(10).join(out)}
</office:text></office:body>
</office:document>
"""


def soffice(src, fmt, outdir):
    subprocess.run(
        ["soffice", "--headless", "--norestore", "--convert-to", fmt, "--outdir", outdir, src],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def pdf_object_file(objects):
    """Serialises numbered PDF objects (bytes bodies, object 1 = catalog) with an xref."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def scanned_pdf():
    """Two A4 pages, each showing a grey 'scan' image (ruled lines standing in for text)
    and nothing else: what a scanner produces without OCR."""
    w, h = 300, 420
    rows = []
    for y in range(h):
        ink = 40 < y < h - 40 and (y // 6) % 3 == 0
        rows.append(b"\x00" + bytes(60 if ink and 30 < x < w - 30 and (x * 7 + y) % 11 else 235 for x in range(w)))
    pixels = zlib.compress(b"".join(rows), 9)
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 >>"]
    content = b"q 595 0 0 842 0 0 cm /Im1 Do Q"
    content_obj = b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 7 0 R >> >> /Contents 4 0 R >>"
    objs += [page, content_obj, page.replace(b"4 0 R", b"6 0 R"), content_obj]
    image = (
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 "
        b"/Filter /FlateDecode /DecodeParms << /Predictor 15 /Colors 1 /BitsPerComponent 8 /Columns %d >> /Length %d >>\nstream\n"
        % (w, h, w, len(pixels))
        + pixels
        + b"\nendstream"
    )
    objs.append(image)
    return pdf_object_file(objs)


# ---- saved portal pages -------------------------------------------------------------

def records():
    return {r["id"]: r for r in map(json.loads, open(MORE, encoding="utf-8"))}


def paras_html(lines, indent=True):
    pad = "&nbsp;&nbsp;&nbsp;&nbsp;" if indent else ""
    return "\n".join(f'<p style="text-indent:2em;">{pad}{html.escape(l)}</p>' for l in lines)


FOOTER = """<div class="footer">
 <p><a href="/about">关于我们</a> | <a href="/contact">联系我们</a> | <a href="/map">网站地图</a></p>
 <p>主办单位：{org} 版权所有 地址：{addr}</p>
 <p>滇ICP备05001234号-1 网站标识码：5300000012 <img src="/police.png">公安机关备案号 53010202000123</p>
</div>"""


def portal_trs(r):
    """A classic TRS-style portal article: #zoom / .TRS_Editor holds the letter."""
    lines = r["text"].split("\n")
    title, body = lines[0], lines[1:]
    org = r.get("respondent") or "云南省人民政府"
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}_{org}</title>
<link rel="stylesheet" href="./files/style.css"><script src="./files/jquery.js"></script>
<script>var _hmt = _hmt || []; document.write("<p>统计代码</p>");</script>
<style>.nav li{{float:left}}</style></head>
<body>
<div class="top-bar"><div class="w1200"><span>今天是：2024年6月12日</span> <a href="#">无障碍浏览</a> <a href="#">长者模式</a> <a href="#">English</a></div></div>
<div class="header"><div class="logo"><img src="./files/logo.png" alt="{org}"></div>
 <div class="search"><input type="text" placeholder="请输入关键词"><button>搜索</button></div></div>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk">政务公开</a></li><li><a href="/hdjl">互动交流</a></li><li><a href="/zwfw">政务服务</a></li><li><a href="/ztzl">专题专栏</a></li></ul></div>
<div class="main w1200">
 <div class="position">您当前的位置：<a href="/">首页</a> &gt; <a href="/zwgk">政务公开</a> &gt; <a href="#">建议提案办理</a></div>
 <table class="xxgk-table" width="100%">
  <tr><td>索引号：</td><td>11530000MB1234567X/2024-00123</td><td>发布机构：</td><td>{org}</td></tr>
  <tr><td>发文日期：</td><td>2017年07月20日</td><td>主题分类：</td><td>建议提案办理</td></tr>
 </table>
 <div class="article">
  <h1 class="title">{html.escape(title)}</h1>
  <div class="info">发布时间：2017-07-20 09:30 来源：本网 浏览次数：<span id="hits">1024</span> 字号：<a href="#">大</a> <a href="#">中</a> <a href="#">小</a></div>
  <div id="zoom" class="TRS_Editor">
{paras_html(body)}
  </div>
  <div class="bdsharebuttonbox">分享到：<a class="bds_weixin" title="分享到微信">微信</a><a class="bds_tsina" title="分享到新浪微博">微博</a></div>
  <div class="print-close"><a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a></div>
 </div>
</div>
{FOOTER.format(org=org, addr="昆明市五华区某路1号")}
</body></html>
"""


def portal_form(r):
    """An ASP.NET-style page: everything inside one <form>, no known content class, the
    letter as <br>-separated text in a table cell, chrome identified only by class names
    and wording."""
    lines = r["text"].split("\n")
    title, body = lines[0], lines[1:]
    org = r.get("respondent") or "某某局"
    return f"""<html>
<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><title>{html.escape(title)}</title></head>
<body><form name="form1" method="post" action="./show.aspx?id=123" id="form1">
<input type="hidden" name="__VIEWSTATE" value="/wEPDwULLTE2MTY2ODcyMjlkZA==">
<div class="topNav"><a href="/">网站首页</a>|<a href="/news">新闻中心</a>|<a href="/gk">信息公开</a>|<a href="/bs">网上办事</a>|<a href="/hd">互动交流</a></div>
<table width="1000" align="center"><tr>
<td class="leftMenu" width="220" valign="top">
 <div class="menuTitle">信息公开</div>
 <ul><li><a href="#">机构职能</a></li><li><a href="#">政策文件</a></li><li><a href="#">建议提案办理结果</a></li><li><a href="#">财政资金</a></li></ul>
</td>
<td valign="top">
 <div class="crumbs">当前位置：<a href="/">首页</a> » <a href="/gk">信息公开</a> » 建议提案办理结果</div>
 <table class="infoTbl"><tr><td>索引号</td><td>0001-2021-000321</td><td>信息分类</td><td>建议提案</td></tr>
 <tr><td>发布机构</td><td>{org}</td><td>生成日期</td><td>2021-05-10</td></tr></table>
 <div align="center"><h2>{html.escape(title)}</h2></div>
 <table width="100%"><tr><td class="bt_content">
{"<br>".join("&emsp;&emsp;" + html.escape(l) for l in body)}
 </td></tr></table>
 <div align="right" class="tools">【<a href="#">字体：大 中 小</a>】【<a href="javascript:print()">打印</a>】【<a href="#">关闭</a>】</div>
</td></tr></table>
<div align="center" style="line-height:24px">
 Copyright © 2021 {org} 版权所有<br>
 地址：某某路88号 电话：0371-12345678 <a href="http://beian.miit.gov.cn">豫ICP备12345678号</a><br>
 <a href="/lxwm">联系我们</a>
</div>
<div class="share" style="display:none">分享到朋友圈</div>
</form></body></html>
"""


def portal_html5(r):
    """A modern HTML5 page: <main><article> with its own <header>, an <aside> sidebar,
    breadcrumb <nav>, and a site <footer>."""
    lines = r["text"].split("\n")
    title, body = lines[0], lines[1:]
    org = r.get("respondent") or "某某局"
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{html.escape(title)} - {org}</title>
<script type="application/ld+json">{{"@type": "Article", "headline": "x"}}</script></head>
<body>
<header class="site-header"><a class="logo" href="/">{org}门户网站</a>
 <nav class="main-menu"><a href="/">首页</a><a href="/xxgk">信息公开</a><a href="/hygq">回应关切</a></nav></header>
<nav aria-label="breadcrumb" class="breadcrumb"><ol><li><a href="/">首页</a></li><li><a href="/xxgk">信息公开</a></li><li>建议提案复文</li></ol></nav>
<main>
 <article>
  <header><h1>{html.escape(title)}</h1>
   <p class="meta"><span>来源：{org}</span> <time datetime="2019-06-20">2019-06-20</time></p></header>
  <section class="article-body">
{paras_html(body, indent=False)}
  </section>
  <footer class="article-tools"><button>打印</button> <a href="#">分享到微信</a> <a href="#">收藏</a></footer>
 </article>
 <aside class="sidebar"><h3>相关文章</h3><ul><li><a href="#">关于县十一届人大四次会议第8号建议的答复</a></li><li><a href="#">县教育科技局2019年工作总结</a></li></ul></aside>
</main>
<footer><p>版权所有：{org} 晋ICP备09001234号 <a href="/contact">联系我们</a> <a href="/sitemap">网站地图</a></p></footer>
</body></html>
"""


def main():
    os.makedirs(OUT, exist_ok=True)
    paras = futian_paragraphs()

    if shutil.which("soffice") is None:
        sys.exit("soffice not found: apt-get install -y libreoffice-writer-nogui fonts-noto-cjk")
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "futian-20240294.fodt")
        with open(src, "w", encoding="utf-8") as f:
            f.write(fodt(paras))
        soffice(src, "pdf:writer_pdf_Export", tmp)
        soffice(src, "docx:MS Word 2007 XML", tmp)
        for ext in ("pdf", "docx"):
            shutil.copy(os.path.join(tmp, f"futian-20240294.{ext}"), os.path.join(OUT, f"futian-20240294.{ext}"))

    with open(os.path.join(OUT, "scanned.pdf"), "wb") as f:
        f.write(scanned_pdf())
    pdf = open(os.path.join(OUT, "futian-20240294.pdf"), "rb").read()
    with open(os.path.join(OUT, "broken.pdf"), "wb") as f:
        f.write(pdf[: len(pdf) // 3])
    with open(os.path.join(OUT, "broken.docx"), "wb") as f:
        f.write("这不是一个 Word 文档，只是改了扩展名的文本。\n".encode("utf-8"))

    recs = records()
    pages = {
        "portal-trs.html": portal_trs(recs["pages-508c4dee3524"]),
        "portal-form.html": portal_form(recs["pages-d9bef5f7ac3f"]),
        "portal-html5.html": portal_html5(recs["pages-7ece37193a31"]),
    }
    for name, page in pages.items():
        with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
            f.write(page)

    for name in sorted(os.listdir(OUT)):
        print(f"{os.path.getsize(os.path.join(OUT, name)):>8}  tests/fixtures/{name}")


if __name__ == "__main__":
    main()
