// Every route of the service, in one list: the router (src/app.ts) and the OpenAPI document
// (src/openapi/document.ts) are both built from it.
import createClients from "./clients.batch";
import getClientCompleteness from "./clients.completeness";
import { copyClientToLive, previewCopyToLive } from "./clients.copy-to-live";
import deleteClient from "./clients.delete";
import getClient from "./clients.get";
import getClientHistory from "./clients.history";
import verifyClientHistory from "./clients.history-verify";
import listClients from "./clients.list";
import lookupClients from "./clients.lookup";
import searchClients from "./clients.search";
import syncClient from "./clients.sync";
import { docsFile, docsPage } from "./docs";
import downloadDocumentFile from "./documents.file-get";
import uploadDocumentFile from "./documents.file-put";
import completeDocumentFileUpload from "./documents.file-complete";
import createDocumentFileUploadUrl from "./documents.file-upload-url";
import redeliverEvent from "./events.redeliver";
import openApi from "./openapi";
import type { Operation } from "./operation";
import problems from "./problems";
import { getDuplicateRule, putDuplicateRule } from "./settings.duplicates";
import createWebhookEndpoint from "./webhook-endpoints.create";
import deleteWebhookEndpoint from "./webhook-endpoints.delete";
import listWebhookDeliveries from "./webhook-endpoints.deliveries";
import listWebhookEndpoints from "./webhook-endpoints.list";

export const OPERATIONS: readonly Operation[] = [
  createClients,
  syncClient,
  listClients,
  lookupClients,
  searchClients,
  getClient,
  getClientCompleteness,
  previewCopyToLive,
  copyClientToLive,
  getClientHistory,
  verifyClientHistory,
  deleteClient,
  uploadDocumentFile,
  downloadDocumentFile,
  createDocumentFileUploadUrl,
  completeDocumentFileUpload,
  createWebhookEndpoint,
  listWebhookEndpoints,
  deleteWebhookEndpoint,
  listWebhookDeliveries,
  redeliverEvent,
  getDuplicateRule,
  putDuplicateRule,
  problems,
  openApi,
  docsPage,
  docsFile,
];
