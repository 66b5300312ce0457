/**
 * @ledge/mqtt-server: the server side of IoT Hub's MQTT dialect, shared by the cloud hub and the edge hub. The
 * products extend {@link IotMqttConnection} with what each packet means to them.
 */
export { IotMqttConnection, MAX_PACKET_BYTES, type ClientPacket, type ConnectionContext, type ConnectionState, type Remote } from './connection.js'
export { checkConnect, type ConnectCheck } from './connect.js'
export { SessionStore, type Session, type SessionRepository } from './session-store.js'
export { subscribe, unsubscribe } from './subscriptions.js'
export { attachMqttWebSocket, ConnectionSet, createMqttTlsServer, listen, WEBSOCKET_PATH, type ConnectionFactory } from './listeners.js'
export { answerTwinGet, answerTwinPatch } from './twin-requests.js'
