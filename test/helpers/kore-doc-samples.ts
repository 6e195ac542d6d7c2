/**
 * The sample responses of the Kore.ai API documentation, verbatim (api-docs 001 and 002), for
 * schema tests: every sample must parse. The agent-status sample is not valid JSON as published
 * (a comma is missing after `"customId": "123456"`); `AGENT_STATUS_SAMPLE` is it with the comma.
 */

/** `v2/calldetails` sample response (api-docs 001). */
export const CALL_DETAILS_SAMPLE_TEXT = `{
    "numResults": 3,
    "data": [
        {
            "sessionId": "66f6b83b9147ddd71d70xxxx",
            "channel": "agentassist",
            "sessionStartTime": "2024-09-27T13:50:51",
            "sessionEndTime": "2024-09-27T13:50:51",
            "botId": "st-e19dd469-90f5-5655-b0b2-858de901xxxx",
            "userId": "u-2ee7ff98-eef3-5cf7-8f5c-379970c9xxxx",
            "channelSpecificUserId": "66050d249f946671f64axxxx/agentassist/c-c9d0a98-945b-4b3e-968a-48426134xxxx",
            "orgId": "o-9569140a-d895-5951-99f4-33fb066bxxxx",
            "smartStatus": "CLOSED AT BOT",
            "reason": "",
            "finalStatus": "BotResolved"
        },
        {
            "conversationId": "c-c9d0a98-945b-4b3e-968a-48426134xxxx",
            "sessionId": "66f6b828873ee3868e8dxxxx",
            "channel": "campaign",
            "isVoicemail": "NO",
            "Direction": "Outbound",
            "finalStatus": "USER ABANDONED",
            "smartStatus": "ABANDONED WITH AGENT",
            "Reason": "Default Queue:John Steve",
            "botId": "st-e19dd469-90f5-5655-b0b2-858de901xxxx",
            "dispositions": [
                "Requires Supervisor Attention"
            ],
            "dispositionRemarks": [
                "The customer initiated a conversation with the agent, who responded with greetings. The conversation was brief and did not involve any specific issues or requests."
            ],
            "metaInfo": {
                "userId": "u-79edf186-d163-5a5e-bd4f-391d0f4dxxxx",
                "firstName": "",
                "lastName": "",
                "caller": "+1234567890",
                "callee": "+919876543210",
                "countryCode": "91",
                "dialedNumber": "+1234567890",
                "endUserNumber": "+919876543210"
            },
            "sessionStartTime": "2024-09-27T13:50:32",
            "sessionEndTime": "2024-09-27T13:51:06",
            "userId": "u-79edf186-d163-5a5e-bd4f-391d0f4dxxxx",
            "destinations": [
                {
                    "destinationType": "QueueEntry",
                    "queueId": "qu-18e471e-a77e-4a93-826e-39ae946axxxx",
                    "respondingAgent": {
                        "agentId": "u-fba6a2f9-26fb-5892-9216-bdea3704xxxx",
                        "agentNotes": [
                            "The customer initiated a conversation with the agent, who responded with greetings. The conversation was brief and did not involve any specific issues or requests."
                        ],
                        "destinationType": "AgentSegment",
                        "status": "Answered",
                        "interactionEndTime": "2024-09-27T13:51:06",
                        "interactionDuration": 34,
                        "holdDuration": 15,
                        "afterCallWorkDuration": 4,
                        "afterCallWorkEndTime": "2024-09-27T13:51:10",
                        "ConsultingAgents": [],
                        "JoinedUsers": [],
                        "email": "mainaccount_staginguxo@mailinator.com",
                        "name": "John Steve",
                        "acceptedTime": "2024-09-27T13:50:32"
                    }
                }
            ]
        },
        {
            "conversationId": "c-92a3ca7-8472-4e59-b927-8995e756xxxx",
            "sessionId": "66f6b3fe3fd2da9b05f7xxxx",
            "channel": "rtm",
            "isVoicemail": "NO",
            "Direction": "Inbound",
            "finalStatus": "CLOSED",
            "smartStatus": "TERMINATED",
            "Reason": "NO AGENTS AVAILABLE",
            "botId": "st-e19dd469-90f5-5655-b0b2-858de901xxxx",
            "dispositions": [
                "DROP-OFF"
            ],
            "dispositionRemarks": [
                "-"
            ],
            "metaInfo": {
                "firstName": "Peter",
                "lastName": "MIller",
                "phoneNumber": "+919876543210",
                "profImage": "https://cdn-icons-png.flaticon.com/512/4017/4017991.png",
                "category": "animations",
                "identities": [
                    {
                        "val": "cs-40189479-21e0-5424-998c-07dce622xxxx/48c25c33-8275-4a66-96f8-0288f9d1701c8980bb96-5a8a-436e-be14-d2ae3f56xxxx",
                        "type": "mapped"
                    }
                ],
                "agentTransferConfig": {
                    "skillsIds": [
                        "660515c38dbf527036d1xxxx"
                    ],
                    "overrideAgents": false,
                    "overrideValues": [],
                    "assistEvents": {
                        "startEvent": {
                            "isEnabled": false,
                            "botId": "st-e19dd469-90f5-5655-b0b2-858de901xxxx"
                        }
                    },
                    "automationBotId": "st-e19dd469-90f5-5655-b0b2-858de901xxxx",
                    "lastIntentName": "agent transfer",
                    "dialog_tone": []
                },
                "hostDomain": "https://staging-xo.korebots.com",
                "os": "Mac OS X",
                "device": "NA"
            },
            "sessionStartTime": "2024-09-27T13:32:46",
            "sessionEndTime": "2024-09-27T13:42:13",
            "channelSpecificUserId": "cs-40189479-21e0-5424-998c-07dce622xxxx/48c25c33-8275-4a66-96f8-0288f9d1701c8980bb96-5a8a-436e-be14-d2ae3f56xxxx",
            "userId": "u-9bc0d7d6-2b3d-5af4-9446-ce9729b6xxxx",
            "destinations": [
                {
                    "destinationType": "QueueEntry",
                    "queueId": "qu-18e471e-a77e-4a93-826e-39ae946axxxx",
                    "queueName": "Default Queue",
                    "EnterTime": "2024-09-27T13:33:01",
                    "respondingAgent": {
                        "agentId": "u-fba6a2f9-26fb-5892-9216-bdea3704xxxx",
                        "agentNotes": [],
                        "destinationType": "AgentSegment",
                        "status": "Answered",
                        "firstResponseTime": "2024-09-27T13:33:12",
                        "firstResponseDuration": 7,
                        "interactionEndTime": "2024-09-27T13:42:10",
                        "interactionDuration": 545,
                        "ConsultingAgents": [],
                        "JoinedUsers": [],
                        "email": "mainaccount_staginguxo@mailinator.com",
                        "name": "John Steve",
                        "acceptedTime": "2024-09-27T13:33:05",
                        "assignedAt": "2024-09-27T13:33:02"
                    }
                }
            ]
        }
    ]
}`;

/** `agentstatusdetails` sample response as published (api-docs 002): not valid JSON. */
export const AGENT_STATUS_SAMPLE_TEXT = `{
   "hasMore": false,
   "limit": 3,
   "offset": 2,
   "data": [
       {
           "userId": "u-388b2b2a-264d-511d-918e-f746e5e1xxxx",
           "firstName": "Gau",
           "lastName": "AgentTwo",
           "email": "gauagent2@abc.com"
       },
       {
           "userId": "u-fee373f7-8685-5f9b-b359-1e890ccdxxxx",
           "firstName": "gau",
           "lastName": "AgentOne",
           "email": "gauagent1@gmail.com"
       },
       {
           "userId": "u-fdc72ca0-a35d-57ff-bcb3-a33904a4xxxx",
           "firstName": "gaumur",
           "lastName": "gaumur",
           "email": "gaumur@abc.com",
            "customId": "123456"
           "status": [
               {
                   "primaryStatus": "AVAILABLE",
                   "secondaryStatus": "AVAILABLE",
                   "startTime": "2023-03-09T13:20:38",
                   "endTime": "2023-03-10T21:37:42",
                   "duration": "32:17:04"
               },
               {
                   "primaryStatus": "AVAILABLE",
                   "secondaryStatus": "AVAILABLE",
                   "startTime": "2023-03-10T21:37:42",
                   "endTime": "2023-03-10T21:38:52",
                   "duration": "00:01:10"
               },
               {
                   "primaryStatus": "BUSY",
                   "secondaryStatus": "BUSY",
                   "startTime": "2023-03-10T21:38:52",
                   "endTime": "2023-03-10T21:39:48",
                   "duration": "00:00:55"
               },
               {
                   "primaryStatus": "AVAILABLE",
                   "secondaryStatus": "AVAILABLE",
                   "startTime": "2023-03-10T21:40:17",
                   "endTime": "2023-03-10T21:40:28",
                   "duration": "00:00:11"
               },
               {
                   "primaryStatus": "AVAILABLE",
                   "secondaryStatus": "AVAILABLE",
                   "startTime": "2023-03-10T21:42:49",
                   "endTime": "2023-03-10T21:44:05",
                   "duration": "00:01:16"
               },
               {
                   "primaryStatus": "AVAILABLE",
                   "secondaryStatus": "AVAILABLE",
                   "startTime": "2023-03-10T21:44:48",
                   "endTime": "2023-03-10T21:45:09",
                   "duration": "00:00:21"
               },
               {
                   "primaryStatus": "AVAILABLE",
                   "secondaryStatus": "AVAILABLE",
                   "startTime": "2023-03-10T21:46:42",
                   "endTime": "2023-03-10T21:51:02",
                   "duration": "00:04:20"
               },
               {
                   "primaryStatus": "BUSY",
                   "secondaryStatus": "NBK",
                   "startTime": "2023-03-10T21:51:02",
                   "endTime": "-",
                   "duration": "-"
               }
           ]
       }
   ]
}`;

/** The published sample with its one missing comma restored. */
export const AGENT_STATUS_SAMPLE_FIXED_TEXT = AGENT_STATUS_SAMPLE_TEXT.replace('"customId": "123456"\n', '"customId": "123456",\n');
