"""pressbox crawl side: Scrapy spiders, pipelines and the extraction layer."""
