/**
 * `GET /netbackup/catalog/images[/{backupId}]`: the world's catalog images, JSON:API style.
 */
import { collectionReply, type Resource } from '../collection.js';
import type { FieldTypes } from '../filter.js';
import { HttpError, NbErrorCode } from '../http.js';
import type { Route } from '../router.js';
import { imageAttributes } from '../views.js';
import type { Image } from '../world.js';

/** Fields an images `filter`/`sort` may name, with their types. */
export const IMAGE_FIELDS: FieldTypes = {
  backupId: 'string',
  policyName: 'string',
  policyType: 'string',
  clientName: 'string',
  clientType: 'string',
  scheduleName: 'string',
  scheduleType: 'string',
  backupTime: 'date',
  expiration: 'date',
  backupStatus: 'number',
  kilobytes: 'number',
  numberOfFiles: 'number',
  jobId: 'number',
};

/** The JSON:API resource of an image (`id` = backupId). */
export function imageResource(image: Image): Resource {
  return {
    type: 'image',
    id: image.backupId,
    attributes: imageAttributes(image),
    links: { self: { href: `/catalog/images/${encodeURIComponent(image.backupId)}` } },
  };
}

/** The catalog image routes. */
export const imageRoutes: Route[] = [
  {
    method: 'GET',
    path: '/netbackup/catalog/images',
    handle: (ctx) =>
      collectionReply(ctx, ctx.world.listImages(), { path: '/netbackup/catalog/images', fields: IMAGE_FIELDS, defaultSort: '-backupTime', resource: imageResource }),
  },
  {
    method: 'GET',
    path: '/netbackup/catalog/images/:backupId',
    handle: (ctx) => {
      const backupId = ctx.params.backupId!;
      const image = ctx.world.getImage(backupId);
      if (!image) throw new HttpError(404, NbErrorCode.notFound, `The image ${backupId} was not found: no entity was found`);
      return { status: 200, json: { data: imageResource(image) } };
    },
  },
];
