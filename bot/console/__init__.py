"""The staff web console (`python -m bot console`): what residents ask, what failed, and
the FAQ edits that fix it, in a browser.

- bot.console.app: the aiohttp application, its state, renderer and security headers;
- bot.console.auth: one-time sign-in links, sessions, CSRF, sign-out;
- bot.console.overview, unanswered, pages (feedback, entry), questions, health: the pages;
- bot.console.svg: the charts, as pure functions; bot.console.common: periods, lookups;
- templates/ (Jinja2, autoescaped) and static/console.css (no CDN, fonts or scripts).

It opens the same query log and FAQ as the bot (SQLite WAL lets both processes in); its
own tables (sessions, used sign-in links, dismissed groups, FAQ change log) are migration 4.
"""
