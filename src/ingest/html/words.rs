//! The words and names that tell page chrome from content on government portals: element
//! names, class and id tokens, metadata labels and toolbar words.

/// Elements whose content is never text (skipped by the tokenizer).
pub(super) const RAW_SKIPPED: &[&str] = &[
    "script", "style", "head", "noscript", "template", "svg", "iframe", "select", "button",
    "textarea", "object", "math",
];

/// Elements that never have content.
pub(super) const VOID: &[&str] = &[
    "br", "hr", "img", "input", "meta", "link", "wbr", "col", "area", "base", "embed", "param",
    "source", "track",
];

/// Elements that start a new line.
pub(super) const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "table",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "hr",
    "main",
    "aside",
    "center",
    "title",
    "address",
    "figure",
    "figcaption",
    "tbody",
    "thead",
    "tfoot",
    "header",
    "footer",
    "nav",
    "form",
    "caption",
    "body",
    "html",
    "fieldset",
    "details",
    "summary",
];

/// Elements that are page chrome by their tag.
pub(super) const CHROME_TAGS: &[&str] =
    &["nav", "header", "footer", "aside", "form", "menu", "dialog"];

/// Class/id words naming chrome, matched anywhere in a class or id token ("bdsharebox",
/// "topnavbar").
pub(super) const CHROME_SUBSTRINGS: &[&str] = &[
    "menu",
    "footer",
    "breadcrumb",
    "crumb",
    "sidebar",
    "share",
    "toolbar",
    "copyright",
    "navbar",
    "topbar",
    "friendlink",
    "weizhi",
    "dqwz",
    "position",
    "location",
    "banner",
    "search",
    "login",
    "fenxiang",
    "printbtn",
    "gotop",
    "backtop",
    "qrcode",
    "erweima",
];

/// Class/id tokens naming chrome, matched as whole tokens (too short to match inside).
pub(super) const CHROME_TOKENS: &[&str] = &[
    "nav",
    "foot",
    "side",
    "top",
    "tool",
    "tools",
    "header",
    "head",
    "print",
    "close",
    "logo",
    "ad",
    "ads",
    "info",
    "meta",
    "related",
    "xgxx",
    "xgwz",
    "links",
    "pager",
    "pagination",
];

/// Conventional main-content containers of government portal CMSs (TRS, 泰和, 政府网站
/// 集约化平台), as class or id tokens; `trs_` prefixes match too.
pub(super) const CONTENT_TOKENS: &[&str] = &[
    "zoom",
    "fontzoom",
    "ucap-content",
    "pages_content",
    "article-content",
    "articlecontent",
    "article_content",
    "detail-content",
    "content_text",
    "contenttext",
    "zwnr",
    "zw",
    "bt_content",
    "news_content",
    "wzcon",
    "art_con",
    "view",
];

/// Weaker content containers.
pub(super) const GENERIC_CONTENT_TOKENS: &[&str] =
    &["content", "article", "detail", "main", "text", "con"];

/// Labels of the 政府信息公开 metadata table shown above a letter.
pub(super) const METADATA_LABELS: &[&str] = &[
    "索引号",
    "发布机构",
    "发文机关",
    "生成日期",
    "成文日期",
    "发布日期",
    "主题分类",
    "文号",
    "公开方式",
    "公开范围",
    "信息分类",
    "所属主题",
    "体裁分类",
    "有效性",
];

/// Words of the info/tool bars around an article; some are unambiguous on their own.
pub(super) const BAR_WORDS_STRONG: &[&str] = &[
    "浏览次数",
    "点击数",
    "阅读次数",
    "访问量",
    "打印本页",
    "关闭窗口",
    "分享到",
    "字号",
    "【打印",
    "【关闭",
    "版权所有",
    "ICP备",
    "网站标识码",
    "公网安备",
    "当前位置",
    "您当前的位置",
    "您现在的位置",
    "当前所在位置",
];
pub(super) const BAR_WORDS_WEAK: &[&str] = &[
    "发布时间",
    "来源：",
    "来源:",
    "作者：",
    "作者:",
    "收藏",
    "打印",
    "关闭",
    "联系我们",
    "网站地图",
    "Copyright",
];

/// Text of chrome elements is short; longer elements are content even if they match.
pub(super) const BAR_MAX_CHARS: usize = 160;
