/**
 * `/netbackup/config/servers/vmservers[/{serverName}]`: list, get, create, delete. The password is stored but
 * never served (`""` in the single GET, absent from the list).
 */
import { HttpError, NbErrorCode, jsonObjectBody } from '../http.js';
import type { Route, RouteContext } from '../router.js';
import { vmServerView } from '../views.js';
import type { VmServer } from '../world.js';

/** The `vmType` values the mock accepts on create (NetBackup's VMware server types). */
export const VM_TYPES = ['VMWARE_VIRTUAL_CENTER_SERVER', 'VMWARE_ESX_SERVER', 'VMWARE_RESTORE_ESX_SERVER', 'VMWARE_VCLOUD_DIRECTOR'] as const;

const BASE = '/netbackup/config/servers/vmservers';

function selfHref(ctx: RouteContext, vm: VmServer): string {
  return `${ctx.origin}${BASE}/${encodeURIComponent(vm.serverName)}`;
}

function bad(message: string): never {
  throw new HttpError(400, NbErrorCode.invalidParameter, `invalid command parameter: ${message}`);
}

/** Validate a create body: `serverName` and `vmType` required; `userId`, `password` strings; `port` an integer. */
function parseCreate(body: Record<string, unknown>): VmServer {
  const { serverName, vmType, userId = '', password = '', port = 0 } = body;
  if (typeof serverName !== 'string' || serverName.trim() === '' || /[\s/\\]/.test(serverName)) bad('serverName must be a host name');
  if (typeof vmType !== 'string' || !(VM_TYPES as readonly string[]).includes(vmType)) bad(`vmType must be one of ${VM_TYPES.join(', ')}`);
  if (typeof userId !== 'string') bad('userId must be a string');
  if (typeof password !== 'string') bad('password must be a string');
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) bad('port must be an integer 0-65535');
  return { serverName, vmType, userId, password, port };
}

/** The vmserver routes. */
export const vmServerRoutes: Route[] = [
  {
    method: 'GET',
    path: BASE,
    handle: (ctx) => ({
      status: 200,
      json: { data: ctx.world.listVmServers().map((vm) => ({ type: 'vmServer', id: vm.serverName, attributes: { vmServer: vmServerView(vm) } })) },
    }),
  },
  {
    method: 'GET',
    path: `${BASE}/:serverName`,
    handle: (ctx) => {
      const vm = ctx.world.getVmServer(ctx.params.serverName!);
      if (!vm) throw new HttpError(404, NbErrorCode.notFound, `The vmserver ${ctx.params.serverName} was not found: no entity was found`);
      return { status: 200, json: { vmServer: { serverName: vm.serverName, vmType: vm.vmType, userId: vm.userId, password: '', port: vm.port }, links: [{ rel: 'self', href: selfHref(ctx, vm) }] } };
    },
  },
  {
    method: 'POST',
    path: BASE,
    handle: (ctx) => {
      const input = parseCreate(jsonObjectBody(ctx.body));
      if (ctx.world.getVmServer(input.serverName)) {
        throw new HttpError(409, NbErrorCode.alreadyExists, `The vmserver ${input.serverName} already exists: the entity already exists`);
      }
      const vm = ctx.world.addVmServer(input);
      // NetBackup answers 201 without a body; Location says where the new server is.
      return { status: 201, headers: { location: selfHref(ctx, vm) } };
    },
  },
  {
    method: 'DELETE',
    path: `${BASE}/:serverName`,
    handle: (ctx) => {
      if (!ctx.world.getVmServer(ctx.params.serverName!)) {
        throw new HttpError(404, NbErrorCode.notFound, `The vmserver ${ctx.params.serverName} was not found: no entity was found`);
      }
      ctx.world.deleteVmServer(ctx.params.serverName!);
      return { status: 204 };
    },
  },
];
