import { Option, type Command } from '@commander-js/extra-typings';
import { commonv1, gatewayv1 } from '@feedmesh/contracts';
import { UsageError } from '../cli-errors.js';
import { wantsColor, type CliIo } from '../cli-io.js';
import { withGateway } from '../gateway-client.js';
import { id, integerIn, tagName } from '../option-parsers.js';
import { renderFeed } from '../render/feed-table.js';
import { addressOption, explicitAddress, jsonOption } from './gateway-options.js';

/** The CLI's surface names and what they mean on the wire. */
export const SURFACES = {
  dashboard: commonv1.Surface.SURFACE_DASHBOARD,
  'for-you': commonv1.Surface.SURFACE_FOR_YOU,
  explore: commonv1.Surface.SURFACE_EXPLORE,
  tag: commonv1.Surface.SURFACE_TAG,
} as const;
export type SurfaceName = keyof typeof SURFACES;

export function registerFeedCommand(program: Command, io: CliIo): void {
  program
    .command('feed')
    .description("read a page of a user's feed")
    .requiredOption('--user <id>', 'whose feed', id)
    .addOption(
      new Option(
        '--surface <surface>',
        'which feed (default: dashboard, or tag with --tag)',
      ).choices(Object.keys(SURFACES) as SurfaceName[]),
    )
    .option('--tag <tag>', 'the tag page to read, with or without #', tagName)
    .option('--page-size <n>', 'items per page', integerIn(1, 100), 20)
    .option('--cursor <cursor>', "the previous page's next cursor")
    .addOption(addressOption())
    .addOption(jsonOption())
    .action(async (options) => {
      const tag = options.tag?.replace(/^#/, '');
      const surface: SurfaceName = options.surface ?? (tag === undefined ? 'dashboard' : 'tag');
      if (surface === 'tag' && !tag) throw new UsageError('--surface tag needs --tag <tag>');
      if (surface !== 'tag' && tag !== undefined) {
        throw new UsageError(`--tag only applies to --surface tag, not ${surface}`);
      }
      const request: gatewayv1.GetFeedRequest = {
        userId: options.user,
        surface: SURFACES[surface],
        tag: tag ?? '',
        pageSize: options.pageSize,
        cursor: options.cursor ?? '',
      };
      const response = await withGateway(options.addr, (client) => client.getFeed(request));
      if (options.json) {
        io.stdout.write(`${JSON.stringify(gatewayv1.GetFeedResponse.toJSON(response), null, 2)}\n`);
        return;
      }
      io.stdout.write(
        renderFeed(
          response,
          {
            userId: options.user,
            surface,
            tag,
            pageSize: options.pageSize,
            address: explicitAddress(options.addr),
          },
          { color: wantsColor(io) },
        ),
      );
    });
}
