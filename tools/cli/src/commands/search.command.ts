import { Option, type Command } from '@commander-js/extra-typings';
import { UsageError } from '../cli-errors.js';
import { gatewayv1, searchv1 } from '@feedmesh/contracts';
import { wantsColor, type CliIo } from '../cli-io.js';
import { withGateway } from '../gateway-client.js';
import { collectTags, id, integerIn } from '../option-parsers.js';
import { renderSearch } from '../render/search-results.js';
import { addressOption, explicitAddress, jsonOption } from './gateway-options.js';

const ORDERS = {
  relevance: searchv1.SearchOrder.SEARCH_ORDER_RELEVANCE,
  recency: searchv1.SearchOrder.SEARCH_ORDER_RECENCY,
} as const;
type OrderName = keyof typeof ORDERS;

export function registerSearchCommand(program: Command, io: CliIo): void {
  program
    .command('search')
    .description('search posts; with --user, the top hits are re-ranked for that user')
    .argument('<query...>', 'words, "quoted phrases", #tag and blog:name filters')
    .option('--user <id>', 're-rank the top hits for this user', id)
    .option('--tag <tag>', 'only posts with this tag (repeat for several)', collectTags)
    .option('--blog <id>', 'only posts of this blog', id)
    .addOption(
      new Option('--order <order>', 'best match or newest first')
        .choices(Object.keys(ORDERS) as OrderName[])
        .default('relevance' as OrderName),
    )
    .option('--page-size <n>', 'hits per page', integerIn(1, 100), 20)
    .option('--cursor <cursor>', "the previous page's next cursor")
    .addOption(addressOption())
    .addOption(jsonOption())
    .action(async (words, options) => {
      const query = words.join(' ');
      if (query.trim() === '') throw new UsageError('the query is blank: give at least one word');
      const tags = (options.tag ?? []).map((tag) => tag.replace(/^#/, ''));
      const request: gatewayv1.SearchRequest = {
        userId: options.user ?? '',
        query,
        tags,
        blogId: options.blog ?? '',
        order: ORDERS[options.order],
        pageSize: options.pageSize,
        cursor: options.cursor ?? '',
      };
      const response = await withGateway(options.addr, (client) => client.search(request));
      if (options.json) {
        io.stdout.write(`${JSON.stringify(gatewayv1.SearchResponse.toJSON(response), null, 2)}\n`);
        return;
      }
      io.stdout.write(
        renderSearch(
          response,
          {
            query,
            userId: options.user,
            tags,
            blogId: options.blog,
            order: options.order,
            pageSize: options.pageSize,
            address: explicitAddress(options.addr),
            cursor: options.cursor,
          },
          { color: wantsColor(io) },
        ),
      );
    });
}
