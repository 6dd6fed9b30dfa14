export { ScrapeError, type ScrapeErrorReason } from './scrape-error';
export {
  type ScrapeLimits,
  type ScrapeResult,
  type ScrapeTarget,
  type ScrapeTls,
  UpstreamScraper,
  type UpstreamScraperOptions,
} from './upstream-scraper';
