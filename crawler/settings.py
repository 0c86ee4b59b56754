"""Scrapy settings of the pressbox crawler.

House rules (as in Scrapy's default_settings.py): settings are grouped by subsystem, alphabetical
inside a group; pressbox's own settings carry the ``PRESSBOX_`` prefix and are documented in the
README ("Configuration"). Any of them can be overridden per run with ``scrapy crawl news -s NAME=V``
and most from the environment (shown next to each).
"""

from __future__ import annotations

import os

# tldextract (imported by Scrapy's cookie middleware) must never try to download the public
# suffix list: crawls and tests run without the internet.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

BOT_NAME = "pressbox"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# -- politeness ---------------------------------------------------------------------------------
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_ITEMS = 8  # Scrapy starts this many tasks per response; our items are cheap
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 8
DOWNLOAD_DELAY = 0.0  # a source's --delay sets its own minimum
ROBOTSTXT_OBEY = True
USER_AGENT = "pressbox/0.1 (news archive crawler; +https://github.com/pressbox/pressbox)"

# -- downloads ----------------------------------------------------------------------------------
COOKIES_ENABLED = False  # news pages do not need them; also keeps tldextract off the network
DNS_TIMEOUT = 20
DOWNLOAD_MAXSIZE = int(os.environ.get("PRESSBOX_MAX_PAGE_BYTES", str(10 * 1024 * 1024)))
DOWNLOAD_TIMEOUT = float(os.environ.get("PRESSBOX_DOWNLOAD_TIMEOUT", "30"))
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
REDIRECT_MAX_TIMES = 10
RETRY_ENABLED = True
RETRY_TIMES = 2

# -- components ---------------------------------------------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
}
EXTENSIONS = {"scrapy.extensions.telnet.TelnetConsole": None}
ITEM_PIPELINES = {"crawler.pipelines.ArchivePipeline": 300}
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

# -- logging ------------------------------------------------------------------------------------
LOG_LEVEL = os.environ.get("PRESSBOX_LOG_LEVEL", "INFO")
LOGSTATS_INTERVAL = 60.0

# -- pressbox -----------------------------------------------------------------------------------
#: Archive database URL; empty means $PRESSBOX_DB, then sqlite:///pressbox.db.
PRESSBOX_DB = os.environ.get("PRESSBOX_DB", "")
#: Page records written per archive transaction.
PRESSBOX_BATCH_SIZE = int(os.environ.get("PRESSBOX_BATCH_SIZE", "100"))
#: How long (seconds) a crawl keeps retrying writes while the database is unreachable.
PRESSBOX_DB_RETRY_SECONDS = float(os.environ.get("PRESSBOX_DB_RETRY_SECONDS", "60"))
#: Longest wait (seconds) before buffered records are written, however few.
PRESSBOX_FLUSH_INTERVAL = float(os.environ.get("PRESSBOX_FLUSH_INTERVAL", "2"))
#: Extraction processes (0: extract in the crawl process itself; default: one per core).
PRESSBOX_EXTRACT_WORKERS = int(os.environ.get("PRESSBOX_EXTRACT_WORKERS", str(os.cpu_count() or 1)))
#: Pages handed to the extraction pool at once (back-pressure on the downloader).
PRESSBOX_EXTRACT_QUEUE = int(os.environ.get("PRESSBOX_EXTRACT_QUEUE", "32"))
#: First retry waits this long (seconds), doubling with each further retry.
PRESSBOX_RETRY_BACKOFF = float(os.environ.get("PRESSBOX_RETRY_BACKOFF", "1"))

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
